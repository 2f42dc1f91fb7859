using System.Security.Cryptography;
using System.Text;
using TorchSharp;
using static TorchSharp.torch.nn;

namespace DnaFoundation.Training.Distributed;

/// <summary>
/// Keeps the model replicas identical: rank 0's initial weights are copied to every rank, and a periodic
/// SHA-256 of every parameter and buffer is compared across ranks. Data parallelism with identical gradients and
/// a deterministic optimizer keeps replicas bitwise equal; a difference means a bug, a non-deterministic kernel or
/// corrupted memory, and training on diverged replicas would silently average unrelated models.
/// </summary>
public static class WeightSync
{
    /// <summary>Copies <paramref name="root"/>'s parameters and buffers to every rank, after checking that all ranks built the same model.</summary>
    public static void BroadcastFrom(ICommunicator communicator, Module module, int root = 0)
    {
        if (communicator.WorldSize == 1) return;
        var differing = RanksDifferingFromRoot(communicator, Layout(module), root);
        if (differing.Count > 0)
            throw new DistributedException(
                $"rank(s) {string.Join(", ", differing)} built a different model than rank {root} (parameter names, shapes or dtypes differ); " +
                "every rank must run the same model configuration");
        foreach (var (_, tensor) in Tensors(module))
            communicator.Broadcast(tensor, root);
    }

    /// <summary>
    /// Throws <see cref="DistributedException"/> on every rank when any rank's weights differ from rank 0's. Collective:
    /// every rank must call it at the same step.
    /// </summary>
    public static void VerifyIdentical(ICommunicator communicator, Module module, long step) =>
        VerifyIdentical(communicator, Tensors(module), step);

    /// <inheritdoc cref="VerifyIdentical(ICommunicator, Module, long)"/>
    public static void VerifyIdentical(ICommunicator communicator, IEnumerable<(string Name, torch.Tensor Tensor)> weights, long step)
    {
        if (communicator.WorldSize == 1) return;
        var differing = RanksDifferingFromRoot(communicator, Digest(weights), 0);
        if (differing.Count > 0)
            throw new DistributedException(
                $"model weights differ across ranks at step {step}: rank(s) {string.Join(", ", differing)} differ from rank 0 " +
                "(a non-deterministic kernel, a rank that skipped or repeated an update, or corrupted memory); stopping");
    }

    /// <summary>SHA-256 over the names and bytes of every parameter and persistent buffer, in registration order.</summary>
    public static byte[] Digest(Module module) => Digest(Tensors(module));

    /// <summary>SHA-256 over the names and bytes of the given tensors, in order.</summary>
    public static byte[] Digest(IEnumerable<(string Name, torch.Tensor Tensor)> weights)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, tensor) in weights)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(name));
            AppendBytes(hash, tensor);
        }
        return hash.GetHashAndReset();
    }

    private static byte[] Layout(Module module)
    {
        var text = new StringBuilder();
        foreach (var (name, tensor) in Tensors(module))
            text.Append(name).Append(' ').Append(tensor.dtype).Append(" [").AppendJoin(',', tensor.shape).Append("]\n");
        return SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
    }

    private static IEnumerable<(string Name, torch.Tensor Tensor)> Tensors(Module module)
    {
        foreach (var (name, p) in module.named_parameters()) yield return (name, p);
        foreach (var (name, b) in module.named_buffers(recurse: true, include_nonpersistent: false)) yield return (name, b);
    }

    private static void AppendBytes(IncrementalHash hash, torch.Tensor tensor)
    {
        const long chunkBytes = 1 << 28; // Tensor.bytes is limited to 2 GiB: hash big tensors piecewise
        using var scope = torch.NewDisposeScope();
        var flat = tensor.detach().to(torch.CPU).contiguous().reshape(-1);
        long perChunk = Math.Max(1, chunkBytes / Math.Max(1, flat.ElementSize));
        for (long offset = 0; offset < flat.numel(); offset += perChunk)
        {
            using var part = flat.narrow(0, offset, Math.Min(perChunk, flat.numel() - offset)).contiguous();
            hash.AppendData(part.bytes);
        }
    }

    /// <summary>Ranks whose <paramref name="digest"/> differs from <paramref name="root"/>'s, known to every rank.</summary>
    private static List<int> RanksDifferingFromRoot(ICommunicator communicator, byte[] digest, int root)
    {
        using var rootDigest = torch.tensor(digest, torch.ScalarType.Byte);
        communicator.Broadcast(rootDigest, root);
        bool same = rootDigest.bytes.SequenceEqual(digest);
        var flags = communicator.AllGather(same ? 0 : 1);
        return Enumerable.Range(0, flags.Length).Where(r => flags[r] != 0).ToList();
    }
}
