using SharpFuzz;

namespace DnaFoundation.Fuzz;

/// <summary>
/// <c>dnafm-fuzz TARGET</c>: under afl-fuzz, the fork server (every input in one process); otherwise one input from
/// stdin. <c>dnafm-fuzz TARGET FILE...</c>: replays files and prints each outcome (exit 1 if any broke the
/// contract). <c>dnafm-fuzz --list</c>: the targets and their formats.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args is ["--list"])
        {
            foreach (var t in FuzzTargets.All) Console.WriteLine($"{t.Name}\t{t.FileName}\t{t.Format}");
            return 0;
        }
        if (args.Length == 0 || FuzzTargets.Find(args[0]) is not FuzzTarget target)
        {
            Console.Error.WriteLine("usage: dnafm-fuzz TARGET [FILE...] | --list");
            return 2;
        }
        using var context = new FuzzContext();
        if (args.Length > 1) return Replay(target, args[1..], context);

        // Out of process: the inputs still run in one long-lived child, but a hang or a process-killing failure (a stack
        // overflow) ends that child only, and AFL records it instead of losing its fork server.
        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            Contract.Run(target, buffer.ToArray(), context);
        });
        return 0;
    }

    private static int Replay(FuzzTarget target, string[] files, FuzzContext context)
    {
        int bugs = 0;
        foreach (var file in files)
        {
            try
            {
                Console.WriteLine($"{file}\t{Contract.Run(target, File.ReadAllBytes(file), context)}");
            }
            catch (Exception e)
            {
                bugs++;
                Console.WriteLine($"{file}\tBUG {e.GetType().Name}: {e.Message.Split('\n')[0]}");
                Console.Error.WriteLine(e);
            }
        }
        return bugs == 0 ? 0 : 1;
    }
}
