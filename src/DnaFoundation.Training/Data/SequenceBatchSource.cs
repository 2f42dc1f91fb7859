using System.Text.Json.Nodes;
using DnaFoundation.Core;
using DnaFoundation.Model.Inference;
using DnaFoundation.Tokenizers;
using DnaFoundation.Training.Distributed;
using static TorchSharp.torch;

namespace DnaFoundation.Training.Data;

/// <summary>
/// Micro-batches of DNA sequences held in memory, one sequence per row: a program that already has its sequences
/// (reads, windows it cut, a CSV column) pretrains on them without writing a FASTA or shards. Each sequence is
/// tokenized once, here, with the tokenizer's special tokens and cut at <c>maxLength</c> tokens (the frame kept; such
/// rows count as truncated). Rows are padded to the longest of their micro-batch, rounded up to a multiple of 8 within
/// <c>maxLength</c>, by the shared <see cref="BatchCollator"/>.
/// <para>
/// Order: with <c>shuffle</c>, epoch e visits every sequence once in a permutation drawn from (seed, e); without it,
/// the given order, cycled (a validation stream). Row i of rank r is global row r + world·i of that order, so the
/// stream is a pure function of a counter and the saved state is just that counter: a restored source continues with
/// exactly the batches an uninterrupted one would have given, as <see cref="GenomeWindowSource"/> does. On another
/// number of ranks (<see cref="StateForWorld"/>) every new rank starts past the last row any old rank read.
/// </para>
/// </summary>
public sealed class SequenceBatchSource : IBatchSource, IWorldResizable
{
    private const string Kind = "sequences";
    private readonly TokenSequence[] rows;
    private readonly bool[]?[] soft;
    private readonly bool[] truncated;
    private readonly int batchSize, maxLength, rank, world;
    private readonly long padId;
    private readonly ulong seed;
    private readonly bool shuffle;
    private long next;
    private long permutationEpoch = -1;
    private int[] permutation = [];

    /// <summary>Tokenizes every sequence once (cut at <paramref name="maxLength"/>) and serves them as micro-batches.</summary>
    /// <param name="sequences">The DNA, one row each (either case: lowercase bases are soft-masked; IUPAC codes as the tokenizer allows).</param>
    /// <param name="tokenizer">Tokenizes the rows; its pad id fills the padding.</param>
    /// <param name="batchSize">Rows per micro-batch (the trainer's <c>micro_batch_size</c>).</param>
    /// <param name="maxLength">Tokens per row at most, special tokens included (the trainer's <c>max_length</c>).</param>
    /// <param name="seed">Draws each epoch's order (unused without <paramref name="shuffle"/>).</param>
    /// <param name="shuffle">True for training (a new order every epoch); false for validation (the given order, every time the same).</param>
    /// <param name="rank">This process's rank under data parallelism (0 alone).</param>
    /// <param name="world">Ranks under data parallelism (1 alone): each reads its own share of every epoch.</param>
    /// <exception cref="ArgumentException">No sequences, or a size out of range.</exception>
    /// <exception cref="DnaInputException">A sequence the tokenizer refuses (named by its position, <c>#1</c> first).</exception>
    public SequenceBatchSource(IReadOnlyList<string> sequences, DnaTokenizer tokenizer, int batchSize, int maxLength, long seed = 0, bool shuffle = true,
        int rank = 0, int world = 1)
    {
        if (sequences.Count == 0) throw new ArgumentException("at least one sequence is needed", nameof(sequences));
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(world, 1);
        if (rank < 0 || rank >= world) throw new ArgumentOutOfRangeException(nameof(rank), $"rank {rank} is not in 0..{world - 1}");
        int frame = tokenizer.Special.Prefix.Length + tokenizer.Special.Suffix.Length;
        if (maxLength <= frame) throw new ArgumentOutOfRangeException(nameof(maxLength), $"{maxLength} tokens leave no room for a base after the tokenizer's {frame} special tokens");
        rows = new TokenSequence[sequences.Count];
        soft = new bool[]?[sequences.Count];
        truncated = new bool[sequences.Count];
        for (int i = 0; i < rows.Length; i++)
        {
            var e = tokenizer.Encode(sequences[i], new EncodeOptions { MaxLength = maxLength, SequenceName = $"#{i + 1}" });
            rows[i] = new TokenSequence(e.Ids);
            soft[i] = Array.IndexOf(e.SoftMasked, true) >= 0 ? e.SoftMasked : null;
            truncated[i] = e.BasesConsumed < sequences[i].Length;
        }
        this.batchSize = batchSize;
        this.maxLength = maxLength;
        this.seed = unchecked((ulong)seed);
        this.shuffle = shuffle;
        this.rank = rank;
        this.world = world;
        padId = tokenizer.PadId;
    }

    /// <summary>Sequences in the source (one epoch, over all ranks).</summary>
    public int Count => rows.Length;

    /// <summary>The next <c>batchSize</c> rows, on the CPU.</summary>
    public TrainingBatch Next()
    {
        var picked = new int[batchSize];
        int longest = 0;
        for (int b = 0; b < batchSize; b++)
        {
            picked[b] = RowAt(rank + world * next++);
            longest = Math.Max(longest, rows[picked[b]].Length);
        }
        int rounded = (longest + 7) / 8 * 8;
        int width = rounded <= maxLength ? rounded : longest;
        var batch = BatchCollator.Collate(picked.Select(i => rows[i]).ToList(), padId, CPU, width);
        var softMask = new bool[batchSize * width];
        long tokens = 0;
        int cut = 0;
        for (int b = 0; b < batchSize; b++)
        {
            int i = picked[b];
            tokens += rows[i].Length;
            if (truncated[i]) cut++;
            if (soft[i] is { } s) Array.Copy(s, 0, softMask, b * width, s.Length);
        }
        return new TrainingBatch(batch.InputIds, batch.AttentionMask, tensor(softMask, [batchSize, width]), null, null, tokens, cut);
    }

    /// <summary>The sequence at global position <paramref name="index"/> of the stream's order.</summary>
    private int RowAt(long index)
    {
        long epoch = index / rows.Length;
        int at = (int)(index % rows.Length);
        if (!shuffle) return at;
        if (epoch != permutationEpoch)
        {
            permutation = Permutation(epoch);
            permutationEpoch = epoch;
        }
        return permutation[at];
    }

    /// <summary>Fisher–Yates over a SplitMix64 stream keyed by (seed, epoch): the same on every machine and runtime.</summary>
    private int[] Permutation(long epoch)
    {
        var order = new int[rows.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        ulong state = GenomeWindowSource.SplitMix64(seed ^ GenomeWindowSource.SplitMix64(unchecked((ulong)epoch)));
        for (int i = order.Length - 1; i > 0; i--)
        {
            state = GenomeWindowSource.SplitMix64(state);
            int j = (int)(state % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>The counter of rows this rank has read, with what it must match on restore (sequence count, ranks).</summary>
    public JsonNode SaveState() => new JsonObject { ["kind"] = Kind, ["next"] = next, ["sequences"] = rows.Length, ["rank"] = rank, ["world"] = world };

    /// <summary>Continues after the rows a saved source had read.</summary>
    /// <exception cref="DnaInputException">The state is another kind of stream, or was saved over another number of sequences or ranks.</exception>
    public void RestoreState(JsonNode state)
    {
        if (state["kind"]?.GetValue<string>() != Kind)
            throw new DnaInputException($"the checkpoint's loader state is a '{state["kind"]}' stream, this run reads in-memory sequences");
        if (state["sequences"]?.GetValue<int>() != rows.Length)
            throw new DnaInputException($"the checkpoint's stream read {state["sequences"]} sequences, this run gives {rows.Length}: resume with the same sequences");
        if (state["world"]?.GetValue<int>() != world)
            throw new DnaInputException($"the checkpoint was written by {state["world"]} ranks; resume with the same number of ranks ({world} now)");
        next = state["next"]!.GetValue<long>();
    }

    /// <summary>
    /// Continues on another number of ranks: this rank starts at its first row past the last one any old rank read
    /// (<see cref="RankStreamResize"/>), so no row is skipped or read twice, and the epochs' orders are unchanged.
    /// </summary>
    /// <exception cref="DnaInputException">An old state is another kind of stream or was saved over another number of sequences.</exception>
    public JsonNode StateForWorld(IReadOnlyList<JsonNode> oldStates)
    {
        foreach (var old in oldStates)
        {
            if (old["kind"]?.GetValue<string>() != Kind)
                throw new DnaInputException($"the checkpoint's loader state is a '{old["kind"]}' stream, this run reads in-memory sequences");
            if (old["sequences"]?.GetValue<int>() != rows.Length)
                throw new DnaInputException($"the checkpoint's stream read {old["sequences"]} sequences, this run gives {rows.Length}: resume with the same sequences");
        }
        return new JsonObject { ["kind"] = Kind, ["next"] = RankStreamResize.Counter(oldStates, rank, world), ["sequences"] = rows.Length, ["rank"] = rank, ["world"] = world };
    }

    /// <summary>Holds no native resources: the rows are host arrays.</summary>
    public void Dispose() { }
}
