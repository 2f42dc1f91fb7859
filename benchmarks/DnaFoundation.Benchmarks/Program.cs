namespace DnaFoundation.Benchmarks;

public static class Program
{
    public static int Main(string[] args)
    {
        var all = typeof(Program).Assembly.GetTypes()
            .Where(t => typeof(IBenchmark).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => (IBenchmark)Activator.CreateInstance(t)!)
            .OrderBy(b => b.Name, StringComparer.Ordinal)
            .ToList();
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine("usage: dotnet run -c Release --project benchmarks/DnaFoundation.Benchmarks -- NAME [args] [--reference-env NAME=VALUE]...");
            Console.WriteLine($"  (reference tools run without {string.Join(" and ", BenchmarkSupport.KernelOverrides)} unless given with --reference-env)");
            foreach (var b in all) Console.WriteLine($"  {b.Name,-16} {b.Description}");
            return args.Length == 0 ? 2 : 0;
        }
        var chosen = all.FirstOrDefault(b => b.Name == args[0]);
        if (chosen is null)
        {
            Console.Error.WriteLine($"error: no benchmark named '{args[0]}'; known: {string.Join(", ", all.Select(b => b.Name))}");
            return 2;
        }
        // As dnafm does at start: the faster of libtorch's MKL and a system OpenBLAS serves sgemm (DNAFM_BLAS overrides).
        DnaFoundation.Model.Runtime.BlasProvider.Select(Environment.GetEnvironmentVariable(DnaFoundation.Model.Runtime.BlasProvider.Variable));
        return chosen.Run(BenchmarkSupport.TakeReferenceEnvironment(args[1..]));
    }
}
