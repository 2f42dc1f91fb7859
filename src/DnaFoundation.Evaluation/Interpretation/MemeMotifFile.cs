using System.Globalization;
using System.Text;

namespace DnaFoundation.Evaluation.Interpretation;

/// <summary>
/// Writes motifs in the MEME minimal motif format, version 4 (meme-suite.org, "MEME Motif Format"), which TOMTOM,
/// FIMO, SEA and most motif tools read: the version line, <c>ALPHABET= ACGT</c>, the strands searched, background
/// letter frequencies, then per motif a <c>MOTIF id alt-name</c> line and a <c>letter-probability matrix:</c> header
/// (alength, w, nsites, E) followed by w rows of four probabilities summing to 1. E carries the motif's
/// Benjamini–Hochberg adjusted enrichment p-value (the file's only significance slot).
/// </summary>
public static class MemeMotifFile
{
    /// <summary>The MEME text for <paramref name="motifs"/> over <paramref name="background"/> (ACGT frequencies), found on the given strands.</summary>
    public static string Format(IReadOnlyList<Motif> motifs, double[] background, MotifStrands strands = MotifStrands.Forward)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("MEME version 4\n\nALPHABET= ACGT\n\n").Append(strands == MotifStrands.Both ? "strands: + -" : "strands: +").Append("\n\nBackground letter frequencies\n");
        sb.Append(string.Create(inv, $"A {background[0]:F6} C {background[1]:F6} G {background[2]:F6} T {background[3]:F6}\n"));
        foreach (var m in motifs)
        {
            sb.Append(string.Create(inv, $"\nMOTIF {m.Id} {m.Consensus}\n"));
            sb.Append(string.Create(inv, $"letter-probability matrix: alength= 4 w= {m.Pwm.Length} nsites= {m.Instances.Count} E= {m.AdjustedP:0.0###e+00}\n"));
            foreach (var row in m.Pwm)
                sb.Append(string.Create(inv, $" {row[0]:F6}  {row[1]:F6}  {row[2]:F6}  {row[3]:F6}\n"));
        }
        return sb.ToString();
    }

    /// <summary>Writes <see cref="Format"/> to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, IReadOnlyList<Motif> motifs, double[] background, MotifStrands strands = MotifStrands.Forward) =>
        OutputFiles.WriteText(path, Format(motifs, background, strands));
}
