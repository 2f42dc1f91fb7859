using System.CommandLine;
using DnaFoundation.Cli.Hosting;
using DnaFoundation.Core;
using DnaFoundation.Model.Runtime;

namespace DnaFoundation.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        // Read by libgomp once, when libtorch loads it: set before any command touches torch.
        OpenMpWaitPolicy.ApplyProcessDefault();
        try
        {
            // Process-wide and read by glibc at each allocation: set before any command allocates tensors.
            NativeAllocator.ApplyProcessPolicy(Environment.GetEnvironmentVariable(NativeAllocator.PolicyVariable));
            // Before libtorch's first matrix product binds sgemm_: the faster of libtorch's MKL and a system OpenBLAS.
            BlasProvider.Select(Environment.GetEnvironmentVariable(BlasProvider.Variable));
        }
        catch (DnaInputException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return CliAction.InputError;
        }
        var root = CommandTree.Build();
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
                Console.Error.WriteLine($"error: {error.Message}");
            Console.Error.WriteLine("Run 'dnafm --help' for the commands and their options.");
            return CliAction.InputError;
        }
        return parse.Invoke();
    }
}
