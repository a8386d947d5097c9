using System.Diagnostics;
using System.Numerics;

namespace Baton.Bench.Load;

/// <summary>
/// Log-linear latency histogram in microseconds (HDR style: exact below 128 µs, then 64 sub-buckets
/// per power of two, so at most 1/64 ≈ 1.6 % error). Recording is an array increment: no allocation,
/// no lock (one histogram per client, merged at the end).
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBucketBits = 6;
    private const int SubBucketCount = 1 << SubBucketBits;
    private const int LinearLimit = SubBucketCount * 2;
    private const int BucketCount = LinearLimit + ((63 - SubBucketBits) * SubBucketCount);

    private static readonly double MicrosPerTick = 1_000_000.0 / Stopwatch.Frequency;

    private readonly long[] counts = new long[BucketCount];

    public long Count { get; private set; }

    public long MaxMicros { get; private set; }

    public double SumMicros { get; private set; }

    public void RecordTicks(long elapsedTicks) => RecordMicros((long)(elapsedTicks * MicrosPerTick));

    public void RecordMicros(long micros)
    {
        micros = Math.Max(0, micros);
        counts[IndexOf(micros)]++;
        Count++;
        SumMicros += micros;
        MaxMicros = Math.Max(MaxMicros, micros);
    }

    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (var i = 0; i < BucketCount; i++)
        {
            counts[i] += other.counts[i];
        }

        Count += other.Count;
        SumMicros += other.SumMicros;
        MaxMicros = Math.Max(MaxMicros, other.MaxMicros);
    }

    /// <summary>The value at or below which <paramref name="percentile"/> % of samples fall (bucket upper bound, capped at the max).</summary>
    public long PercentileMicros(double percentile)
    {
        if (Count == 0)
        {
            return 0;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(percentile / 100.0 * Count));
        long seen = 0;
        for (var i = 0; i < BucketCount; i++)
        {
            seen += counts[i];
            if (seen >= rank)
            {
                return Math.Min(UpperBound(i), MaxMicros);
            }
        }

        return MaxMicros;
    }

    private static int IndexOf(long micros)
    {
        if (micros < LinearLimit)
        {
            return (int)micros;
        }

        var highestBit = 63 - BitOperations.LeadingZeroCount((ulong)micros);
        var shift = highestBit - SubBucketBits;
        return ((shift + 1) * SubBucketCount) + (int)((micros >> shift) - SubBucketCount);
    }

    private static long UpperBound(int index)
    {
        if (index < LinearLimit)
        {
            return index;
        }

        var shift = (index / SubBucketCount) - 1;
        var sub = (long)(index % SubBucketCount) + SubBucketCount;
        return ((sub + 1) << shift) - 1;
    }
}
