using System.Globalization;
using ScottPlot;

namespace DnaFoundation.Evaluation.Interpretation;

/// <summary>
/// Sequence logos drawn with ScottPlot: each letter is a filled polygon stretched to its height, so stacks are exact
/// (a font's glyph would not scale to an arbitrary height). Two kinds: an information-content logo of a position
/// weight matrix (column height = 2 − H bits, letters in proportion to their frequency, the largest on top), and an
/// importance logo (one letter per position, the reference base, scaled by a signed score: above the axis when
/// mutating it lowers the prediction, below when it raises it), as DeepLIFT and ISM figures draw them.
/// Colours are the usual ones: A green, C blue, G orange, T red.
/// </summary>
public static class SequenceLogo
{
    private const string Bases = "ACGT";
    private static readonly Color[] Colors = [Color.FromHex("#109648"), Color.FromHex("#255C99"), Color.FromHex("#F7B32B"), Color.FromHex("#D62839")];

    /// <summary>Bits of information in a column of base frequencies (ACGT, summing to 1): 2 − entropy.</summary>
    public static double InformationContent(ReadOnlySpan<double> column)
    {
        double h = 0;
        foreach (var p in column) if (p > 0) h -= p * Math.Log2(p);
        return Math.Max(0, 2 - h);
    }

    /// <summary>Writes an information-content logo of <paramref name="pwm"/> (rows = positions, ACGT frequencies) as a PNG.</summary>
    public static void WriteInformationLogo(string path, double[][] pwm, string title)
    {
        var plot = new Plot();
        for (int i = 0; i < pwm.Length; i++)
        {
            double ic = InformationContent(pwm[i]);
            double y = 0;
            foreach (var b in Enumerable.Range(0, 4).OrderBy(b => pwm[i][b]))
            {
                double h = pwm[i][b] * ic;
                if (h <= 1e-6) continue;
                DrawLetter(plot, Bases[b], i + 1, y, h);
                y += h;
            }
        }
        plot.Axes.SetLimits(0.4, pwm.Length + 0.6, 0, 2);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(1, pwm.Length).Select(i => (double)i).ToArray(), Enumerable.Range(1, pwm.Length).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray());
        plot.Title(title);
        plot.XLabel("position");
        plot.YLabel("information (bits)");
        OutputFiles.Write(path, tmp => plot.SavePng(tmp, Math.Clamp(80 + 40 * pwm.Length, 640, 2400), 320));
    }

    /// <summary>
    /// Writes an importance logo: the base <paramref name="sequence"/>[i] at position i + 1, height
    /// <paramref name="importance"/>[i] (signed; NaN draws nothing), x labelled from <paramref name="firstPosition"/>.
    /// </summary>
    public static void WriteImportanceLogo(string path, string sequence, double[] importance, string title, long firstPosition = 1, string xLabel = "position")
    {
        var plot = new Plot();
        for (int i = 0; i < sequence.Length; i++)
        {
            int b = Bases.IndexOf(char.ToUpperInvariant(sequence[i]));
            double h = importance[i];
            if (b < 0 || !double.IsFinite(h) || Math.Abs(h) < 1e-12) continue;
            DrawLetter(plot, Bases[b], i + 1, Math.Min(0, h), Math.Abs(h));
        }
        double top = importance.Where(double.IsFinite).DefaultIfEmpty(0).Max(), bottom = importance.Where(double.IsFinite).DefaultIfEmpty(0).Min();
        double pad = Math.Max(1e-6, (top - bottom) * 0.05);
        plot.Axes.SetLimits(0.4, sequence.Length + 0.6, Math.Min(0, bottom) - pad, Math.Max(0, top) + pad);
        var zero = plot.Add.HorizontalLine(0);
        zero.Color = ScottPlot.Colors.Gray;
        zero.LineWidth = 1;
        PositionTicks(plot, sequence.Length, firstPosition);
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel("importance (−mean Δ over alt bases)");
        OutputFiles.Write(path, tmp => plot.SavePng(tmp, Math.Clamp(120 + 12 * sequence.Length, 600, 4000), 360));
    }

    /// <summary>About 20 ticks along a sequence axis (base i at x = <paramref name="x0"/> + i), labelled from <paramref name="firstPosition"/>.</summary>
    internal static void PositionTicks(Plot plot, int length, long firstPosition, int x0 = 1)
    {
        int step = Math.Max(1, (int)Math.Ceiling(length / 20.0));
        var at = Enumerable.Range(0, length).Where(i => i % step == 0).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            at.Select(i => (double)(i + x0)).ToArray(), at.Select(i => (firstPosition + i).ToString(CultureInfo.InvariantCulture)).ToArray());
    }

    /// <summary>One letter filling the box [x − 0.45, x + 0.45] × [y, y + height].</summary>
    private static void DrawLetter(Plot plot, char letter, double x, double y, double height)
    {
        int b = Bases.IndexOf(letter);
        foreach (var (shape, hole) in Glyph(letter))
        {
            var coords = shape.Select(p => new Coordinates(x - 0.45 + 0.9 * p.X, y + height * p.Y)).ToArray();
            var poly = plot.Add.Polygon(coords);
            poly.FillColor = hole ? ScottPlot.Colors.White : Colors[b];
            poly.LineWidth = 0;
        }
    }

    /// <summary>The letter as polygons in the unit square (holes are drawn in white after the letter).</summary>
    private static IEnumerable<((double X, double Y)[] Points, bool Hole)> Glyph(char letter)
    {
        switch (letter)
        {
            case 'A':
                yield return ([(0, 0), (0.4, 1), (0.6, 1), (1, 0), (0.78, 0), (0.67, 0.3), (0.33, 0.3), (0.22, 0)], false);
                yield return ([(0.39, 0.45), (0.61, 0.45), (0.5, 0.74)], true);
                break;
            case 'C':
                yield return (Arc(40, 320), false);
                break;
            case 'G':
                yield return (Arc(40, 350), false);
                yield return ([(0.55, 0.36), (1, 0.36), (1, 0.5), (0.55, 0.5)], false);
                yield return ([(0.84, 0.08), (1, 0.2), (1, 0.5), (0.84, 0.5)], false);
                break;
            default: // T
                yield return ([(0, 1), (1, 1), (1, 0.82), (0.59, 0.82), (0.59, 0), (0.41, 0), (0.41, 0.82), (0, 0.82)], false);
                break;
        }
    }

    /// <summary>A thick elliptic arc (outer radius 0.5, inner 0.33) from <paramref name="from"/> to <paramref name="to"/> degrees.</summary>
    private static (double X, double Y)[] Arc(double from, double to)
    {
        const int steps = 24;
        var outer = Enumerable.Range(0, steps + 1).Select(k => from + (to - from) * k / steps).Select(a => (0.5 + 0.5 * Math.Cos(a * Math.PI / 180), 0.5 + 0.5 * Math.Sin(a * Math.PI / 180)));
        var inner = Enumerable.Range(0, steps + 1).Select(k => to - (to - from) * k / steps).Select(a => (0.5 + 0.33 * Math.Cos(a * Math.PI / 180), 0.5 + 0.33 * Math.Sin(a * Math.PI / 180)));
        return outer.Concat(inner).ToArray();
    }
}
