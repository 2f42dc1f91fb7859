using DnaFoundation.Core;
using System.CommandLine;
using System.Text.Json;
using DnaFoundation.Cli.Hosting;
using DnaFoundation.Tokenizers;

namespace DnaFoundation.Cli.Commands;

/// <summary><c>dnafm tokenizer encode</c>: raw DNA (FASTA or a CSV/TSV 'sequence' column) to JSON lines of ids and base offsets.</summary>
public sealed class TokenizerEncodeCommand : ICliCommand
{
    public string Path => "tokenizer encode";

    public Command Build()
    {
        var spec = new Option<string>("--tokenizer", "-t") { Description = DnaTokenizers.SpecHelp + ".", Required = true };
        var input = new Option<string>("--input", "-i") { Description = "FASTA(.gz), or CSV/TSV(.gz) with a 'sequence' column (DNABERT space-separated k-mers are read back to DNA).", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "JSON-lines file: one object per sequence, in input order.", Required = true };
        var maxLength = new Option<int?>("--max-length") { Description = "Cut each encoding to this many tokens (special tokens included)." };
        var pad = new Option<bool>("--pad") { Description = "Pad to --max-length with the padding token (attention_mask 0)." };
        var noSpecial = new Option<bool>("--no-special-tokens") { Description = "Do not add the family's [CLS]/[SEP] (or <cls>) tokens." };
        var revComp = new Option<bool>("--reverse-complement") { Description = "Encode the reverse complement (offsets still index the input strand)." };
        var ambiguous = new Option<AmbiguousBasePolicy>("--ambiguous") { Description = "N and IUPAC codes: MapToN (N's token or [UNK]) or Reject (error).", DefaultValueFactory = _ => AmbiguousBasePolicy.MapToN };
        var cmd = new Command("encode", CommonOptions.WithExamples(
            "Encode raw DNA with a tokenizer; writes {\"name\",\"ids\",\"offsets\",\"soft_masked\",\"attention_mask\"} per sequence, " +
            "offsets as [start, end) base positions (special tokens [0, 0]), soft_masked true where a token covers lowercase bases.",
            "dnafm tokenizer encode -t kmer:6 -i promoters.fa -o ids.jsonl",
            "dnafm tokenizer encode -t dnabert2/tokenizer.json -i GUE/prom_core_all/test.csv -o ids.jsonl",
            "dnafm tokenizer encode -t nt6 -i dev.tsv -o ids.jsonl --max-length 1000 --pad"));
        foreach (var o in new Option[] { spec, input, output, maxLength, pad, noSpecial, revComp, ambiguous }) cmd.Options.Add(o);
        CliAction.Run(cmd, (parse, ct) =>
        {
            var tokenizer = DnaTokenizers.Load(parse.GetValue(spec)!, parse.GetValue(ambiguous));
            var inPath = parse.GetValue(input)!;
            var outPath = parse.GetValue(output)!;
            var baseOptions = new EncodeOptions
            {
                MaxLength = parse.GetValue(maxLength),
                PadToMaxLength = parse.GetValue(pad),
                AddSpecialTokens = !parse.GetValue(noSpecial),
                ReverseComplement = parse.GetValue(revComp),
                Source = inPath,
            };
            if (baseOptions.PadToMaxLength && baseOptions.MaxLength is null)
                throw new Core.DnaInputException("--pad needs --max-length");
            int count = 0;
            long bases = 0;
            Core.AtomicFile.WriteAsync(outPath, stream =>
            {
                using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { SkipValidation = true });
                foreach (var seq in TokenizerInputs.Read(inPath))
                {
                    ct.ThrowIfCancellationRequested();
                    var e = tokenizer.Encode(seq.Bases, baseOptions with { SequenceName = seq.Name });
                    WriteEncoding(json, seq.Name, e);
                    json.Flush();
                    stream.WriteByte((byte)'\n');
                    json.Reset();
                    count++;
                    bases += seq.Bases.Length;
                }
                return Task.CompletedTask;
            }, ct).GetAwaiter().GetResult();
            Console.WriteLine($"wrote {outPath}: {count:N0} sequences, {bases:N0} bp, tokenizer {tokenizer.Spec} ({tokenizer.VocabSize} tokens)");
            return 0;
        });
        return cmd;
    }

    private static void WriteEncoding(Utf8JsonWriter json, string name, DnaEncoding e)
    {
        json.WriteStartObject();
        json.WriteString("name", name);
        json.WriteStartArray("ids");
        foreach (var id in e.Ids) json.WriteNumberValue(id);
        json.WriteEndArray();
        json.WriteStartArray("offsets");
        foreach (var o in e.Offsets)
        {
            json.WriteStartArray();
            json.WriteNumberValue(o.Start);
            json.WriteNumberValue(o.End);
            json.WriteEndArray();
        }
        json.WriteEndArray();
        json.WriteStartArray("soft_masked");
        foreach (var s in e.SoftMasked) json.WriteBooleanValue(s);
        json.WriteEndArray();
        json.WriteStartArray("attention_mask");
        foreach (var a in e.AttentionMask) json.WriteNumberValue(a);
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
