using System.Text.Json.Nodes;
using DnaFoundation.Core;
using DnaFoundation.Tokenizers;
using DnaFoundation.Training.Data;
using static TorchSharp.torch;

namespace DnaFoundation.Training.Tests;

public class SequenceBatchSourceTests
{
    /// <summary><paramref name="count"/> real 67-bp stretches of the shipped chr20 sample, back to back from <paramref name="start"/>.</summary>
    internal static List<string> Chr20Pieces(long start, int count, int length = 67)
    {
        var bases = SampleCorpus.Bases(start, start + (long)count * length);
        return Enumerable.Range(0, count).Select(i => bases.Substring(i * length, length)).ToList();
    }

    private static long[] Ids(TrainingBatch b) => b.InputIds.data<long>().ToArray();

    private static bool Same(TrainingBatch a, TrainingBatch b) =>
        a.InputIds.equal(b.InputIds).all().item<bool>() && a.AttentionMask.equal(b.AttentionMask).all().item<bool>()
        && a.SoftMasked!.equal(b.SoftMasked!).all().item<bool>() && a.Tokens == b.Tokens && a.TruncatedRows == b.TruncatedRows;

    [Fact]
    public void Restoring_the_saved_state_gives_the_batches_of_an_uninterrupted_source_across_epochs()
    {
        var tok = DnaTokenizers.Load("kmer:6");
        var seqs = Chr20Pieces(9_000_000, 10);
        using var straight = new SequenceBatchSource(seqs, tok, batchSize: 4, maxLength: 64, seed: 7);
        var expected = Enumerable.Range(0, 8).Select(_ => straight.Next()).ToList();   // 32 rows: more than three epochs of 10

        using var first = new SequenceBatchSource(seqs, tok, 4, 64, seed: 7);
        for (int i = 0; i < 3; i++) first.Next().Dispose();
        var state = JsonNode.Parse(first.SaveState().ToJsonString())!;             // as a checkpoint stores it
        using var resumed = new SequenceBatchSource(seqs, tok, 4, 64, seed: 7);
        resumed.RestoreState(state);
        for (int i = 3; i < 8; i++)
        {
            using var b = resumed.Next();
            Assert.True(Same(expected[i], b), $"batch {i}");
        }
        // A source rewound to its start (how a run estimates its unigram baseline) starts over.
        using var rewound = new SequenceBatchSource(seqs, tok, 4, 64, seed: 7);
        var start = rewound.SaveState();
        rewound.Next().Dispose();
        rewound.RestoreState(start);
        using (var again = rewound.Next()) Assert.True(Same(expected[0], again));
        foreach (var b in expected) b.Dispose();
    }

    [Fact]
    public void Every_epoch_is_a_fresh_permutation_and_validation_keeps_the_given_order()
    {
        var tok = DnaTokenizers.Load("kmer:6");
        var seqs = Chr20Pieces(9_100_000, 12);
        var rowOf = seqs.Select((s, i) => (string.Join(',', tok.Encode(s).Ids), i)).ToDictionary(x => x.Item1, x => x.i);
        List<int> Rows(SequenceBatchSource source, int batches)
        {
            var rows = new List<int>();
            for (int i = 0; i < batches; i++)
            {
                using var b = source.Next();
                var ids = Ids(b);
                int width = (int)b.InputIds.shape[1];
                for (int r = 0; r < b.InputIds.shape[0]; r++) rows.Add(rowOf[string.Join(',', ids.Skip(r * width).Take(64))]);
            }
            return rows;
        }
        using var train = new SequenceBatchSource(seqs, tok, 4, 64, seed: 3);
        var order = Rows(train, 6);                                     // two epochs of 12
        Assert.Equal(Enumerable.Range(0, 12), order.Take(12).Order());
        Assert.Equal(Enumerable.Range(0, 12), order.Skip(12).Order());
        Assert.NotEqual(order.Take(12), order.Skip(12));
        Assert.NotEqual(Enumerable.Range(0, 12), order.Take(12));
        using var otherSeed = new SequenceBatchSource(seqs, tok, 4, 64, seed: 4);
        Assert.NotEqual(order.Take(12), Rows(otherSeed, 3));

        using var validation = new SequenceBatchSource(seqs, tok, 4, 64, shuffle: false);
        Assert.Equal([.. Enumerable.Range(0, 12), .. Enumerable.Range(0, 12)], Rows(validation, 6));

        // Two ranks read disjoint halves of the same order.
        using var rank0 = new SequenceBatchSource(seqs, tok, 3, 64, seed: 3, rank: 0, world: 2);
        using var rank1 = new SequenceBatchSource(seqs, tok, 3, 64, seed: 3, rank: 1, world: 2);
        var (r0, r1) = (Rows(rank0, 2), Rows(rank1, 2));
        Assert.Equal(order.Take(12).Where((_, i) => i % 2 == 0), r0);
        Assert.Equal(order.Take(12).Where((_, i) => i % 2 == 1), r1);
    }

    /// <summary>
    /// A checkpoint of two ranks resumes on one and one of one rank on two: the new ranks read on from the first row
    /// no old rank read, in the same epoch orders, so over the whole run no row is read twice or skipped.
    /// </summary>
    [Fact]
    public void A_state_continues_on_another_number_of_ranks_after_the_last_row_read()
    {
        var tok = DnaTokenizers.Load("kmer:6");
        var seqs = Chr20Pieces(9_300_000, 10);                          // 67 bp each: every row is 64 tokens
        using var single = new SequenceBatchSource(seqs, tok, 1, 64, seed: 5);
        var global = Enumerable.Range(0, 24).Select(_ => { using var b = single.Next(); return Ids(b); }).ToList();   // 2.4 epochs, row by row
        long[] Rows(params int[] at) => at.SelectMany(i => global[i]).ToArray();

        // two ranks, three micro-batches of 2 each: global rows 0..11 read; then one rank
        using var rank0 = new SequenceBatchSource(seqs, tok, 2, 64, seed: 5, rank: 0, world: 2);
        using var rank1 = new SequenceBatchSource(seqs, tok, 2, 64, seed: 5, rank: 1, world: 2);
        for (int i = 0; i < 3; i++) { rank0.Next().Dispose(); rank1.Next().Dispose(); }
        var twoStates = new[] { rank0.SaveState(), rank1.SaveState() }.Select(s => JsonNode.Parse(s.ToJsonString())!).ToList();
        using var alone = new SequenceBatchSource(seqs, tok, 2, 64, seed: 5);
        alone.RestoreState(alone.StateForWorld(twoStates));
        using (var b = alone.Next()) Assert.Equal(Rows(12, 13), Ids(b));
        using (var b = alone.Next()) Assert.Equal(Rows(14, 15), Ids(b));

        // one rank read 16 rows; two ranks take 16, 18, … and 17, 19, …
        var oneState = JsonNode.Parse(alone.SaveState().ToJsonString())!;
        using var again0 = new SequenceBatchSource(seqs, tok, 2, 64, seed: 5, rank: 0, world: 2);
        using var again1 = new SequenceBatchSource(seqs, tok, 2, 64, seed: 5, rank: 1, world: 2);
        again0.RestoreState(again0.StateForWorld([oneState]));
        again1.RestoreState(again1.StateForWorld([oneState]));
        using (var b = again0.Next()) Assert.Equal(Rows(16, 18), Ids(b));
        using (var b = again1.Next()) Assert.Equal(Rows(17, 19), Ids(b));

        // an odd number of rows read (17): rank 1 starts at 17, rank 0 at 18; nothing skipped, nothing twice
        using var odd = new SequenceBatchSource(seqs, tok, 1, 64, seed: 5);
        for (int i = 0; i < 17; i++) odd.Next().Dispose();
        var oddState = odd.SaveState();
        using var odd0 = new SequenceBatchSource(seqs, tok, 1, 64, seed: 5, rank: 0, world: 2);
        using var odd1 = new SequenceBatchSource(seqs, tok, 1, 64, seed: 5, rank: 1, world: 2);
        odd0.RestoreState(odd0.StateForWorld([oddState]));
        odd1.RestoreState(odd1.StateForWorld([oddState]));
        using (var b = odd0.Next()) Assert.Equal(Rows(18), Ids(b));
        using (var b = odd1.Next()) Assert.Equal(Rows(17), Ids(b));

        using var fewer = new SequenceBatchSource(seqs[..8], tok, 2, 64, seed: 5);
        Assert.Contains("10 sequences", Assert.Throws<DnaInputException>(() => fewer.StateForWorld(twoStates)).Message);
        Assert.Throws<DnaInputException>(() => alone.StateForWorld([new JsonObject { ["kind"] = "genome-windows", ["next"] = 3 }]));
    }

    [Fact]
    public void Rows_are_collated_padded_soft_masked_and_truncation_is_counted()
    {
        var tok = DnaTokenizers.Load("kmer:6");
        // 10, 20 and 80 bp: 5, 15 and 75 6-mers (+ [CLS] [SEP]); the last is cut at 32 tokens.
        string[] seqs = ["ACGTACGTAC", "acgtacgtACGTACGTACGT", string.Concat(Enumerable.Repeat("ACGTTGCA", 10))];
        using var source = new SequenceBatchSource(seqs, tok, 3, 32, shuffle: false);
        using var b = source.Next();
        Assert.Equal([3L, 32L], b.InputIds.shape);                     // the longest row (32) already a multiple of 8
        Assert.Equal(7 + 17 + 32, b.Tokens);
        Assert.Equal(1, b.TruncatedRows);
        Assert.Equal(7 + 17 + 32, b.AttentionMask.sum().item<long>());
        Assert.Equal(tok.PadId, b.InputIds[0, 7].item<long>());
        Assert.Equal(tok.Encode(seqs[1]).Ids.Select(i => (long)i), b.InputIds[1].data<long>().Take(17));
        Assert.True(b.SoftMasked![1, 1].item<bool>());                 // the first 6-mer covers lowercase bases
        Assert.False(b.SoftMasked![0, 1].item<bool>());

        using var shortRows = new SequenceBatchSource(seqs[..2], tok, 2, 32, shuffle: false);
        using var s = shortRows.Next();
        Assert.Equal(24, s.InputIds.shape[1]);                         // 17 rounded up to a multiple of 8
    }

    [Fact]
    public void A_state_from_other_sequences_or_ranks_and_bad_input_are_refused()
    {
        var tok = DnaTokenizers.Load("kmer:6");
        var seqs = Chr20Pieces(9_200_000, 8);
        using var a = new SequenceBatchSource(seqs, tok, 4, 64);
        var state = a.SaveState();
        using var fewer = new SequenceBatchSource(seqs[..6], tok, 4, 64);
        Assert.Contains("8 sequences", Assert.Throws<DnaInputException>(() => fewer.RestoreState(state)).Message);
        using var twoRanks = new SequenceBatchSource(seqs, tok, 4, 64, rank: 1, world: 2);
        Assert.Throws<DnaInputException>(() => twoRanks.RestoreState(state));
        Assert.Throws<DnaInputException>(() => a.RestoreState(new JsonObject { ["kind"] = "genome-windows", ["next"] = 3 }));

        Assert.Throws<ArgumentException>(() => new SequenceBatchSource([], tok, 4, 64));
        Assert.Contains("#2", Assert.Throws<DnaInputException>(() => new SequenceBatchSource(["ACGTACGT", "ACGT-ACGT"], tok, 1, 64)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SequenceBatchSource(seqs, tok, 4, 2));
    }
}
