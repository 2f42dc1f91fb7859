namespace DnaFoundation.Fuzz;

/// <summary>
/// One harness: the format it covers, the file name the fuzzer's bytes are written under (readers pick their format
/// from the name, e.g. <c>.gz</c>), and the parse through the entry point the dnafm command uses. The parse gets
/// the path of that file inside a private work folder and must consume everything a command would (all records,
/// all tensors), so lazy readers are exercised to the end.
/// </summary>
public sealed record FuzzTarget(string Name, string Format, string FileName, Action<string, FuzzContext> Parse);
