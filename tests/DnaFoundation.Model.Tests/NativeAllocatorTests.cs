using System.Runtime.InteropServices;
using DnaFoundation.Model.Runtime;
using static TorchSharp.torch;

namespace DnaFoundation.Model.Tests;

/// <summary>Runs alone: other tests' allocations and frees would move glibc's counters under it.</summary>
[CollectionDefinition(nameof(NativeAllocatorCollection), DisableParallelization = true)]
public sealed class NativeAllocatorCollection;

/// <summary>
/// The retained-memory policy dnafm runs under: a tensor bigger than glibc's mmap threshold comes from the heap and its
/// pages stay there after it is freed, so the next step does not page-fault them in again. Read from glibc's own
/// accounting (mallinfo2), not from our code.
/// </summary>
[Collection(nameof(NativeAllocatorCollection))]
public sealed class NativeAllocatorTests
{
    // Above glibc's largest mmap threshold (32 MiB), below the 64 MiB a thread's own arena can hold: a test runs on a
    // pool thread, and glibc maps blocks a thread arena cannot hold whatever the policy (dnafm trains on the main
    // thread, whose heap has no such limit).
    private const long Bytes = 40L << 20;

    [Fact]
    public void Retained_policy_serves_big_tensors_from_the_heap_and_keeps_their_pages()
    {
        Assert.True(OperatingSystem.IsLinux(), "glibc's malloc policy is what this checks; the suite runs on Linux");
        Assert.True(NativeAllocator.RetainFreedMemory(), "mallopt refused the policy");
        GC.Collect();
        GC.WaitForPendingFinalizers();                                      // no finalizer frees a tensor meanwhile
        var before = mallinfo2();
        MallInfo2 during;
        using (var t = empty(Bytes / sizeof(float), ScalarType.Float32))
        {
            t.fill_(1f);
            during = mallinfo2();
        }
        var after = mallinfo2();

        Assert.True(during.hblkhd <= before.hblkhd, $"{during.hblkhd - before.hblkhd} more bytes in mmapped blocks");   // not mmapped
        Assert.True((long)during.uordblks - (long)before.uordblks >= Bytes, $"heap in use grew by {(long)during.uordblks - (long)before.uordblks} bytes");
        Assert.True(after.arena >= during.arena, $"heap shrank from {during.arena} to {after.arena} bytes on free");   // pages kept
        Assert.True(after.fordblks >= (nuint)Bytes, $"only {after.fordblks} bytes free in the heap after the free");
    }

    [Fact]
    public void Policy_values_other_than_retain_or_default_are_refused_by_name()
    {
        var e = Assert.Throws<DnaFoundation.Core.DnaInputException>(() => NativeAllocator.ApplyProcessPolicy("sometimes"));
        Assert.Contains("DNAFM_MALLOC='sometimes'", e.Message);
        Assert.Contains("retain, default", e.Message);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
    }

    [DllImport("libc", EntryPoint = "mallinfo2")]
    private static extern MallInfo2 mallinfo2();
}
