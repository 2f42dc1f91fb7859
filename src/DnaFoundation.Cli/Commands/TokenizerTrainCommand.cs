using System.CommandLine;
using System.Text.Json.Nodes;
using DnaFoundation.Cli.Hosting;
using DnaFoundation.Core;
using DnaFoundation.Tokenizers.Bpe;

namespace DnaFoundation.Cli.Commands;

/// <summary><c>dnafm tokenizer train</c>: a DNA BPE vocabulary from FASTA files, written as a Hugging Face tokenizer.json.</summary>
public sealed class TokenizerTrainCommand : ICliCommand
{
    public string Path => "tokenizer train";

    public Command Build()
    {
        var inputs = new Option<string[]>("--input", "-i") { Description = "FASTA file(s), plain or gzip/bgzip (repeatable).", AllowMultipleArgumentsPerToken = true };
        var manifest = new Option<string?>("--manifest") { Description = "Genome manifest (data-manifests/*.json): train on each genome's training contigs." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Where `dnafm data fetch` put the manifest's downloaded genomes." };
        var output = new Option<string>("--output", "-o") { Description = "tokenizer.json to write.", Required = true };
        var vocab = new Option<int?>("--vocab-size") { Description = "Tokens in the vocabulary, special tokens included (default 4096, as DNABERT-2)." };
        var config = new Option<string?>("--config") { Description = "JSON file with trainer settings (vocab_size, min_frequency, chunk_length, max_bases, seed, special_tokens)." };
        var set = CommonOptions.Set();
        var cmd = new Command("train", CommonOptions.WithExamples(
            "Train a DNA BPE vocabulary (special tokens first, then A C G T, then merges) from FASTA, streaming with bounded memory " +
            "(max_bases; larger inputs are sampled uniformly by chunk), and write a Hugging Face tokenizer.json.",
            "dnafm tokenizer train -i GRCh37_chr20.fa.gz -o chr20-bpe4096/tokenizer.json",
            "dnafm tokenizer train -i a.fa.gz -i b.fa.gz --vocab-size 1024 --set max_bases=50000000 -o bpe1024.json",
            "dnafm tokenizer train --manifest data-manifests/multi-species.json --data-dir genomes/ -o multi/tokenizer.json"));
        cmd.Options.Add(inputs);
        cmd.Options.Add(manifest);
        cmd.Options.Add(dataDir);
        cmd.Options.Add(output);
        cmd.Options.Add(vocab);
        cmd.Options.Add(config);
        cmd.Options.Add(set);
        CliAction.Run(cmd, (parse, ct) =>
        {
            var options = LoadOptions(parse.GetValue(config), parse.GetValue(set), parse.GetValue(vocab));
            var trainer = new BpeTrainer(options);
            var progress = new ConsoleProgress();
            foreach (var (path, keep) in TokenizerInputs.TrainingSources(parse.GetValue(inputs), parse.GetValue(manifest), parse.GetValue(dataDir)))
                TokenizerInputs.StreamFasta(path, keep, (piece, name) => trainer.Corpus.Add(piece, name, path), trainer.Corpus.EndSequence, ct);
            var result = trainer.Train(progress, ct);
            result.Tokenizer.Save(parse.GetValue(output)!);
            Console.WriteLine($"wrote {parse.GetValue(output)}: {result.Tokenizer.VocabSize} tokens, {result.Tokenizer.Merges.Count} merges; " +
                $"read {result.BasesRead:N0} bp, trained on {result.BasesKept:N0} bp{(result.Sampled ? " (uniform sample, max_bases reached)" : "")} in {result.Elapsed.TotalSeconds:F1} s");
            return 0;
        });
        return cmd;
    }

    /// <summary>Defaults, then the --config file, then --set overrides, then --vocab-size; checked strictly.</summary>
    internal static BpeTrainerOptions LoadOptions(string? configPath, string[]? overrides, int? vocabSize)
    {
        var all = (overrides ?? []).ToList();
        if (vocabSize is int v) all.Add($"vocab_size={v}");
        return configPath is null
            ? ConfigLoader.Bind<BpeTrainerOptions>(new JsonObject(), "--set", all)
            : ConfigLoader.Load<BpeTrainerOptions>(configPath, all);
    }
}
