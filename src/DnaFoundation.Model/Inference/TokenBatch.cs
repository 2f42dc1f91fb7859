using DnaFoundation.Model.Runtime;
using static TorchSharp.torch;

namespace DnaFoundation.Model.Inference;

/// <summary>One input sequence of token ids (special tokens included), with an optional mask (1 = token, 0 = padding) of the same length.</summary>
public sealed record TokenSequence(int[] Ids, byte[]? AttentionMask = null)
{
    /// <summary>Tokens, padding included.</summary>
    public int Length => Ids.Length;
}

/// <summary>
/// A padded batch on the compute device: <see cref="InputIds"/> (B, T) int64 with the pad id past each row's end,
/// <see cref="AttentionMask"/> (B, T) int64 (1 = token, 0 = padding), and each row's unpadded length.
/// </summary>
public sealed record TokenBatch(Tensor InputIds, Tensor AttentionMask, int[] Lengths)
{
    /// <summary>Rows.</summary>
    public int Size => Lengths.Length;

    /// <summary>T: the longest row (or the fixed width asked for).</summary>
    public int Width => (int)InputIds.shape[1];

    /// <summary>Some position holds no token (a short row, or a row's own mask): known on the host when collated.</summary>
    public bool Padded { get; init; }

    /// <summary>
    /// The mask to give the encoder: <see cref="AttentionMask"/> when the batch is <see cref="Padded"/>, else null,
    /// so an unpadded batch adds no attention bias and the encoder never has to look at the mask on the device.
    /// </summary>
    public Tensor? MaskIfPadded => Padded ? AttentionMask : null;
}

/// <summary>
/// The one collator of the code base: rows of token ids → a padded (B, T) batch on the device, built on the host in
/// two flat arrays and copied once (through pinned memory to a GPU, see <see cref="HostToDevice"/>). Fine-tuning,
/// evaluation and inference batches all come from here; pretraining batches are padded (or packed) by the Data
/// loader on its read-ahead thread, which has no torch, and only wrapped as tensors by the training side.
/// </summary>
public static class BatchCollator
{
    /// <summary>Pads <paramref name="rows"/> into one batch on <paramref name="device"/>; call inside a dispose scope.</summary>
    /// <param name="rows">Token ids per row (special tokens included); masks, when given, travel as they are.</param>
    /// <param name="padId">Written past each row's end (the model's <c>pad_token_id</c>).</param>
    /// <param name="device">Where the batch's tensors go.</param>
    /// <param name="padTo">A fixed width (≥ the longest row); 0 pads to the longest row.</param>
    public static TokenBatch Collate(IReadOnlyList<TokenSequence> rows, long padId, Device device, int padTo = 0)
    {
        if (rows.Count == 0) throw new ArgumentException("a batch needs at least one row", nameof(rows));
        int b = rows.Count, longest = 0;
        foreach (var r in rows) longest = Math.Max(longest, r.Length);
        if (padTo > 0 && padTo < longest) throw new ArgumentOutOfRangeException(nameof(padTo), $"{padTo} is shorter than the longest row ({longest})");
        int t = Math.Max(1, padTo > 0 ? padTo : longest);
        var ids = new long[b * t];
        var mask = new long[b * t];
        var lengths = new int[b];
        bool padded = false;
        Array.Fill(ids, padId);
        for (int i = 0; i < b; i++)
        {
            var r = rows[i];
            lengths[i] = r.Length;
            padded |= r.Length < t;
            int row = i * t;
            for (int j = 0; j < r.Length; j++)
            {
                ids[row + j] = r.Ids[j];
                mask[row + j] = r.AttentionMask is null ? 1 : r.AttentionMask[j];
                padded |= mask[row + j] == 0;
            }
        }
        return new TokenBatch(ToDevice(ids, [b, t], device), ToDevice(mask, [b, t], device), lengths) { Padded = padded };
    }

    /// <summary>A host array as a tensor on <paramref name="device"/> (one copy; pinned on the way to a GPU).</summary>
    public static Tensor ToDevice(long[] values, long[] shape, Device device)
    {
        if (device.type == TorchSharp.DeviceType.CPU) return tensor(values, shape);
        using var host = tensor(values, shape);
        return HostToDevice.Copy(host, device);
    }

    /// <inheritdoc cref="ToDevice(long[], long[], Device)"/>
    public static Tensor ToDevice(float[] values, long[] shape, Device device)
    {
        if (device.type == TorchSharp.DeviceType.CPU) return tensor(values, shape);
        using var host = tensor(values, shape);
        return HostToDevice.Copy(host, device);
    }
}
