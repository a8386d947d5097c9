using System.Diagnostics;
using System.Globalization;

namespace Baton.Bench.Load;

/// <summary>
/// CPU time read from /proc (Linux): one process, a PostgreSQL server (its postmaster and every child), and the whole
/// machine. Clock ticks are USER_HZ, 100 per second on Linux whatever the kernel's own tick rate.
/// </summary>
internal static class ProcessCpu
{
    private const double TicksPerSecond = 100;

    /// <summary>User + system time of one process (all its threads), or null when it is gone.</summary>
    public static TimeSpan? Of(int pid) => ReadStat(pid) is { } stat ? Ticks(stat.UTime + stat.STime) : null;

    /// <summary>
    /// A PostgreSQL server's CPU: the postmaster's own time and the time of the children it has waited for (a backend
    /// that exited inside the window keeps counting), plus every live child's (backends, walwriter, checkpointer...).
    /// Selected by parent, not by name, so another PostgreSQL on the machine is not counted.
    /// </summary>
    public static TimeSpan? OfPostgres(int postmasterPid)
    {
        if (ReadStat(postmasterPid) is not { } postmaster)
        {
            return null;
        }

        var ticks = postmaster.UTime + postmaster.STime + postmaster.CUTime + postmaster.CSTime;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && pid != postmasterPid
                && ReadStat(pid) is { } child
                && child.ParentPid == postmasterPid)
            {
                ticks += child.UTime + child.STime;
            }
        }

        return Ticks(ticks);
    }

    /// <summary>Busy time of all the machine's cores (the first line of /proc/stat, everything but idle and iowait).</summary>
    public static TimeSpan? MachineBusy()
    {
        try
        {
            var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // cpu user nice system idle iowait irq softirq steal guest guest_nice; guest time is inside user already.
            long Field(int i) => fields.Length > i ? long.Parse(fields[i], CultureInfo.InvariantCulture) : 0;
            return Ticks(Field(1) + Field(2) + Field(3) + Field(6) + Field(7) + Field(8));
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static TimeSpan Ticks(long ticks) => TimeSpan.FromSeconds(ticks / TicksPerSecond);

    private readonly record struct Stat(int ParentPid, long UTime, long STime, long CUTime, long CSTime);

    private static Stat? ReadStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null; // gone between listing and reading
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // "pid (comm) state ppid ... utime stime cutime cstime ...": comm may hold spaces and parentheses.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        long Field(int i) => long.Parse(fields[i], CultureInfo.InvariantCulture);
        return new Stat((int)Field(1), Field(11), Field(12), Field(13), Field(14));
    }
}

/// <summary>The CPU clocks one measurement reads at the start and the end of its window.</summary>
internal sealed class CpuProbe(IReadOnlyList<int> nodePids, int? postgresPid)
{
    public IReadOnlyList<int> NodePids { get; } = nodePids;

    public CpuSnapshot Take() => new(
        Stopwatch.GetTimestamp(),
        [.. NodePids.Select(pid => ProcessCpu.Of(pid) ?? TimeSpan.Zero)],
        postgresPid is { } pg ? ProcessCpu.OfPostgres(pg) : null,
        ProcessCpu.Of(Environment.ProcessId) ?? TimeSpan.Zero,
        ProcessCpu.MachineBusy());
}

/// <summary>CPU clocks at one moment (or, as a difference, over a window).</summary>
internal sealed record CpuSnapshot(long Timestamp, TimeSpan[] Nodes, TimeSpan? Postgres, TimeSpan Bench, TimeSpan? Machine)
{
    public TimeSpan Wall => Stopwatch.GetElapsedTime(0, Timestamp);

    public static CpuSnapshot operator -(CpuSnapshot end, CpuSnapshot start) => new(
        end.Timestamp - start.Timestamp,
        [.. end.Nodes.Zip(start.Nodes, (e, s) => e - s)],
        end.Postgres - start.Postgres,
        end.Bench - start.Bench,
        end.Machine - start.Machine);
}
