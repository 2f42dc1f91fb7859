using System.CommandLine;
using System.Globalization;
using DnaFoundation.Cli.Hosting;
using DnaFoundation.Core;
using DnaFoundation.Evaluation.Variants;
using DnaFoundation.Model.Runtime;

namespace DnaFoundation.Cli.Commands;

/// <summary><c>dnafm score-variants</c>: zero-shot LLR, classifier delta and embedding distance for VCF variants.</summary>
public sealed class ScoreVariantsCommand : ICliCommand
{
    public string Path => "score-variants";

    public Command Build()
    {
        var model = new Option<string>("--model") { Description = "Model directory (MLM head for llr; a fine-tuned classifier for classifier)." + ModelLocator.HubHelp, Required = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer (default: the model directory's)." };
        var vcf = new Option<string>("--vcf") { Description = "VCF (.vcf or .vcf.gz); POS is 1-based; multi-allelic lines give one row per ALT.", Required = true };
        var fasta = new Option<string>("--fasta") { Description = "Reference FASTA (plain or bgzip with .fai/.gzi); chr20 and 20 are matched.", Required = true };
        var output = new Option<string>("--output") { Description = "FILE.tsv or FILE.parquet.", Required = true };
        var window = new Option<int>("--window") { Description = "Bases around the variant (centred; N-padded at contig ends).", DefaultValueFactory = _ => VariantWindow.DefaultWidth };
        var scores = new Option<string>("--scores") { Description = "Comma-separated: llr, classifier, embedding.", DefaultValueFactory = _ => "llr" };
        var classIndex = new Option<int>("--class") { Description = "Classifier class whose probability change is reported.", DefaultValueFactory = _ => 1 };
        var idLabels = new Option<string?>("--id-labels") { Description = "Labels from ID prefixes for AUROC, e.g. Clinvar:1,1000G:0 (LOGO's files)." };
        var compute = new InferenceCommandOptions();
        var cmd = new Command("score-variants", CommonOptions.WithExamples(
            "Score each VCF variant on a window centred on it, averaged over both strands: llr = log P(alt) − log P(ref) with the variant masked (SNVs; " +
            "k-mer/char: the alt token; BPE: the nucleotide marginal over same-length tokens, column llr_method; " +
            "indels get status indel_unsupported), classifier = P(class|alt) − P(class|ref), embedding = 1 − cosine of mean-pooled embeddings (indels scored on the edited window). " +
            "A REF that disagrees with the FASTA is reported as status ref_mismatch and never scored.",
            "dnafm score-variants --model runs/chr20/final --vcf Clinvar_nc_snv_pathogenic_177Pos_177Neg.vcf --fasta GRCh37_chr20.fa.gz --output clinvar.tsv --id-labels Clinvar:1,1000G:0",
            "dnafm score-variants --model runs/chr20/final --vcf indels.vcf.gz --fasta GRCh37_chr20.fa.gz --scores llr,embedding --output indels.parquet"));
        foreach (var o in (Option[])[model, tokenizer, vcf, fasta, output, window, scores, classIndex, idLabels, .. compute.All]) cmd.Options.Add(o);
        CliAction.Run(cmd, (parse, ct) =>
        {
            var choice = compute.Device.Apply(parse);
            var kinds = VariantScores.None;
            foreach (var s in parse.GetValue(scores)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                kinds |= s switch
                {
                    "llr" => VariantScores.Llr,
                    "classifier" => VariantScores.Classifier,
                    "embedding" => VariantScores.Embedding,
                    _ => throw new DnaInputException($"--scores '{s}': use llr, classifier, embedding"),
                };
            var labels = new Dictionary<string, int>();
            foreach (var pair in (parse.GetValue(idLabels) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var kv = pair.Split(':');
                if (kv.Length != 2 || !int.TryParse(kv[1], NumberStyles.None, CultureInfo.InvariantCulture, out var l))
                    throw new DnaInputException($"--id-labels '{pair}' must look like PREFIX:LABEL");
                labels[kv[0]] = l;
            }
            var req = new VariantScoringRequest(ModelLocator.Resolve(parse, model, ct), parse.GetValue(tokenizer), parse.GetValue(vcf)!, parse.GetValue(fasta)!,
                parse.GetValue(output)!, parse.GetValue(window), kinds, parse.GetValue(classIndex), labels, compute.Inference(parse));
            var (rows, aurocs) = new VariantScoringJob(choice.Device, new ConsoleProgress(Console.Error)).Run(req);
            foreach (var g in rows.GroupBy(r => r.Status).OrderBy(g => g.Key, StringComparer.Ordinal))
                Console.Error.WriteLine($"{g.Key,-28} {g.Count()}");
            foreach (var g in rows.Where(r => r.LlrMethod is not null).GroupBy(r => r.LlrMethod!).OrderBy(g => g.Key, StringComparer.Ordinal))
                Console.Error.WriteLine($"llr_method {g.Key,-28} {g.Count()}");
            foreach (var a in aurocs)
                Console.WriteLine($"AUROC {a.Score} ({a.Orientation}): {a.Auroc:F4} on {a.Positives} positive / {a.Negatives} negative");
            return 0;
        });
        return cmd;
    }
}
