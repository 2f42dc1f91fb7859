using System.Collections;
using DnaFoundation.Core;
using DnaFoundation.TestSupport;
using DnaFoundation.Training.Distributed;
using FsCheck.Xunit;
using static TorchSharp.torch;

namespace DnaFoundation.Training.Tests.Distributed;

[Collection(TorchGlobalStateCollection.Name)]
public class CommunicatorTests
{
    [Fact]
    public void Launch_is_read_from_open_mpi_hydra_or_pmix_variables_and_absent_otherwise()
    {
        var openMpi = MpiLaunch.From(new Hashtable
        {
            ["OMPI_COMM_WORLD_SIZE"] = "4", ["OMPI_COMM_WORLD_RANK"] = "3",
            ["OMPI_COMM_WORLD_LOCAL_RANK"] = "1", ["OMPI_COMM_WORLD_LOCAL_SIZE"] = "2",
        });
        Assert.Equal(new MpiLaunch(4, 3, 1, 2), openMpi);
        Assert.True(openMpi.Launched);
        Assert.Equal(8, openMpi.DefaultThreads(16));
        Assert.Equal(1, openMpi.CudaDeviceIndex(8));

        var hydra = MpiLaunch.From(new Hashtable { ["PMI_SIZE"] = "2", ["PMI_RANK"] = "0", ["MPI_LOCALNRANKS"] = "2", ["MPI_LOCALRANKID"] = "0" });
        Assert.Equal(new MpiLaunch(2, 0, 0, 2), hydra);
        Assert.Equal(1, hydra.DefaultThreads(2));
        Assert.True(MpiLaunch.From(new Hashtable { ["PMIX_RANK"] = "5" }).Launched);

        var alone = MpiLaunch.From(new Hashtable { ["PATH"] = "/usr/bin", ["OMPI_COMM_WORLD_SIZE"] = "not a number" });
        Assert.False(alone.Launched);
        Assert.Equal(2, alone.DefaultThreads(2));
    }

    [Fact]
    public void Without_a_launcher_or_with_backend_single_the_world_is_one_process()
    {
        var notLaunched = new MpiLaunch(null, null, null, null);
        using var auto = Communicators.Create(new DistributedConfig(), CPU, notLaunched);
        Assert.Same(SingleProcessCommunicator.Instance, auto);
        var launched = new MpiLaunch(2, 1, 1, 2);
        Assert.Same(SingleProcessCommunicator.Instance, Communicators.Create(new DistributedConfig(DistributedBackend.Single), CPU, launched));
        var e = Assert.Throws<DnaInputException>(() => Communicators.Create(new DistributedConfig(DistributedBackend.Nccl), CPU, launched));
        Assert.Contains("nccl needs a CUDA device", e.Message);
    }

    [Fact]
    public void A_session_outside_a_launcher_is_a_world_of_one_with_the_threads_asked_for()
    {
        using var session = DistributedSession.Start(new DistributedConfig(), "cpu", 1, new MpiLaunch(null, null, null, null));
        Assert.Same(SingleProcessCommunicator.Instance, session.Communicator);
        Assert.True(session.IsRoot);
        Assert.Equal(1, session.Device.Threads);
        Assert.Equal("cpu", session.Device.Device.type.ToString().ToLowerInvariant());

        var twoPerNode = new MpiLaunch(4, 0, 0, 2);
        Assert.Equal(8, DistributedSession.ThreadsFor(twoPerNode, null, 16));
        Assert.Equal(8, DistributedSession.ThreadsFor(twoPerNode, 0, 16));
        Assert.Equal(3, DistributedSession.ThreadsFor(twoPerNode, 3, 16));
        Assert.Equal(16, DistributedSession.ThreadsFor(new MpiLaunch(null, null, null, null), 0, 16));
    }

    [Fact]
    public void The_world_of_one_is_the_identity_and_a_failure_propagates()
    {
        var c = SingleProcessCommunicator.Instance;
        using var t = arange(5, dtype: ScalarType.Float32);
        c.AllReduceSum(t);
        c.Broadcast(t);
        Assert.True(t.equal(arange(5, dtype: ScalarType.Float32)).all().item<bool>());
        Assert.Equal(2.5, c.AllReduceSum(2.5));
        Assert.Equal([2.5], c.AllGather(2.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => c.Broadcast(t, root: 1));
        Assert.Equal(7, DistributedRun.Guard(c, () => 7));
        var e = Assert.Throws<DnaInputException>(() => DistributedRun.Guard<int>(c, () => throw new DnaInputException("bad key", "x.json")));
        Assert.Contains("bad key", e.Message);
    }

    [Fact]
    public void The_distributed_section_binds_from_json_with_snake_case_keys_and_checked_ranges()
    {
        using var dir = new TempDir("dcfg");
        File.WriteAllText(dir.File("ok.json"), """{ "backend": "nccl", "timeout_seconds": 90, "checksum_every": 0 }""");
        var config = ConfigLoader.Load<DistributedConfig>(dir.File("ok.json"));
        Assert.Equal(new DistributedConfig(DistributedBackend.Nccl, 90, 0), config);
        Assert.Equal(TimeSpan.FromSeconds(90), config.Timeout);

        File.WriteAllText(dir.File("bad.json"), """{ "timeout_seconds": 0 }""");
        var e = Assert.Throws<DnaInputException>(() => ConfigLoader.Load<DistributedConfig>(dir.File("bad.json")));
        Assert.Contains("timeout_seconds", e.Message);
        File.WriteAllText(dir.File("enum.json"), """{ "backend": "gloo" }""");
        Assert.Contains("allowed values: auto, single, mpi, nccl", Assert.Throws<DnaInputException>(() => ConfigLoader.Load<DistributedConfig>(dir.File("enum.json"))).Message);
    }

    [Property]
    public bool Chunks_cover_every_item_once_in_order_within_the_int_limit(uint total, ushort max)
    {
        long maxChunk = max + 1L;
        long expectedOffset = 0;
        foreach (var (offset, count) in MpiCommunicator.Chunks(total, maxChunk))
        {
            if (offset != expectedOffset || count < 1 || count > maxChunk) return false;
            expectedOffset += count;
        }
        return expectedOffset == total;
    }

    [Fact]
    public void Chunks_of_a_buffer_beyond_int_max_stay_within_int()
    {
        var chunks = MpiCommunicator.Chunks(5L * int.MaxValue + 3, int.MaxValue).ToList();
        Assert.Equal(6, chunks.Count);
        Assert.Equal(3, chunks[^1].Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => MpiCommunicator.Chunks(1, (long)int.MaxValue + 1).ToList());
    }

    [Fact]
    public void The_watchdog_reports_a_collective_that_outlives_its_timeout_and_only_that_one()
    {
        var fired = new List<string>();
        using var signal = new ManualResetEventSlim();
        using (var quiet = new CollectiveWatchdog(TimeSpan.FromSeconds(30), m => fired.Add(m)))
            for (int i = 0; i < 100; i++)
                using (quiet.Enter("quick collective")) { }

        using var watchdog = new CollectiveWatchdog(TimeSpan.FromMilliseconds(100), m => { fired.Add(m); signal.Set(); });
        using (watchdog.Enter("MPI all-reduce of 10 Float32 elements"))
            Assert.True(signal.Wait(TimeSpan.FromSeconds(60)), "the watchdog never fired");
        Assert.Equal(["MPI all-reduce of 10 Float32 elements did not complete within 0.1 s"], fired);
    }

    [SkippableFact]
    public void Open_mpi_handles_are_the_addresses_of_its_exported_globals()
    {
        Skip.IfNot(System.Runtime.InteropServices.NativeLibrary.TryLoad("libmpi.so.40", out var library), "Open MPI's libmpi.so.40 is not installed");
        var abi = DnaFoundation.Training.Distributed.Mpi.MpiAbi.Detect(library, "Open MPI v4.1.4, package: Debian OpenMPI");
        Assert.Equal("Open MPI", abi.Family);
        Assert.Equal(1, abi.InPlace);
        Assert.All(new[] { abi.CommWorld, abi.Byte, abi.Float, abi.Double, abi.Int64, abi.OpSum }, h => Assert.NotEqual(0, h));
        Assert.Equal(6, new[] { abi.CommWorld, abi.Byte, abi.Float, abi.Double, abi.Int64, abi.OpSum }.Distinct().Count());
    }

    [SkippableFact]
    public void Mpich_family_libraries_get_mpich_integer_handles_and_unknown_ones_a_clear_error()
    {
        Skip.IfNot(System.Runtime.InteropServices.NativeLibrary.TryLoad("libc.so.6", out var notOpenMpi), "not a glibc system");
        var abi = DnaFoundation.Training.Distributed.Mpi.MpiAbi.Detect(notOpenMpi, "MPICH Version:\t4.0.2\nMPICH Release date: ...");
        Assert.Equal("MPICH", abi.Family);
        Assert.Equal(0x44000000, abi.CommWorld);     // MPI_COMM_WORLD in MPICH's mpi.h
        Assert.Equal(0x4c00040a, abi.Float);         // MPI_FLOAT
        Assert.Equal(-1, abi.InPlace);               // MPI_IN_PLACE = (void*)-1
        Assert.Equal("MPICH", DnaFoundation.Training.Distributed.Mpi.MpiAbi.Detect(notOpenMpi, "Intel(R) MPI Library 2021.10").Family);
        var e = Assert.Throws<DistributedException>(() => DnaFoundation.Training.Distributed.Mpi.MpiAbi.Detect(notOpenMpi, "Some Other MPI 1.0"));
        Assert.Contains("neither Open MPI nor of the MPICH family", e.Message);
    }
}
