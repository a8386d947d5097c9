using System.Globalization;

namespace Baton.Bench.Load;

/// <summary>A process's resident memory from /proc/PID/status: VmRSS now and VmHWM (its peak so far), in KiB.</summary>
internal readonly record struct ProcessMemory(long RssKb, long HwmKb)
{
    public double RssMb => RssKb / 1024.0;

    public double HwmMb => HwmKb / 1024.0;
}

/// <summary>Reads a server's memory once (idle) and every 250 ms while a run goes on (peak).</summary>
internal sealed class MemorySampler(int pid)
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    public int Pid { get; } = pid;

    public ProcessMemory? IdleRss { get; private set; }

    public long PeakRssKb { get; private set; }

    public int Samples { get; private set; }

    public static ProcessMemory? TryRead(int pid)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines($"/proc/{pid}/status");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        return new ProcessMemory(Field(lines, "VmRSS:"), Field(lines, "VmHWM:"));
    }

    public ProcessMemory? Read() => TryRead(Pid);

    /// <summary>Takes the idle reading: the server is up and nothing runs on it yet.</summary>
    public void ReadIdle() => IdleRss = Read();

    /// <summary>Samples until cancelled; the peak is in <see cref="PeakRssKb"/>.</summary>
    public async Task SampleAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            if (Read() is { } memory)
            {
                PeakRssKb = Math.Max(PeakRssKb, memory.RssKb);
                Samples++;
            }
        }
        while (await WaitAsync(timer, cancellationToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static long Field(string[] lines, string name)
    {
        // Lines look like "VmRSS:\t   123456 kB".
        foreach (var line in lines)
        {
            if (line.StartsWith(name, StringComparison.Ordinal))
            {
                var value = line.AsSpan(name.Length).Trim();
                var space = value.IndexOf(' ');
                return long.Parse(space < 0 ? value : value[..space], NumberStyles.Integer, CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
