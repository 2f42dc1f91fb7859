namespace DnaFoundation.Training.Steps;

/// <summary>
/// The loss or the gradients of an optimizer step stopped being finite (NaN or ±inf) and no loss scaler could skip
/// the step: the run diverged. Its own kind (the CLI exits 3), apart from bad input (2) and bugs (1), because the
/// input was valid and the code did what it should; the remedy is a setting (learning rate, warm-up, clipping,
/// precision). <see cref="Step"/> is the 1-based optimizer step whose numbers went non-finite.
/// </summary>
public sealed class NumericalFailureException(string message, long step, double loss, double gradientNorm) : Exception(message)
{
    public long Step { get; } = step;
    public double Loss { get; } = loss;
    public double GradientNorm { get; } = gradientNorm;
}
