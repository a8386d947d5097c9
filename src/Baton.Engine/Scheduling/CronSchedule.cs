using Baton.Core.Validation;
using Cronos;

namespace Baton.Engine.Scheduling;

/// <summary>
/// A cron expression read in a time zone, within optional start and end times, through Cronos. Spring's 6-field
/// form (seconds first, as Orkes and Conductor write it) and the classic 5-field form are both accepted, as are
/// Cronos' macros (<c>@hourly</c>, <c>@daily</c>...). Times are epoch milliseconds.
/// </summary>
public sealed class CronSchedule
{
    public const int MaxExpressionLength = 256;
    public const int MaxZoneLength = 128;

    private readonly CronExpression _cron;

    private CronSchedule(CronExpression cron, TimeZoneInfo zone, long? start, long? end)
    {
        _cron = cron;
        Zone = zone;
        Start = start;
        End = end;
    }

    public TimeZoneInfo Zone { get; }
    public long? Start { get; }
    public long? End { get; }

    /// <summary>
    /// Parses an expression and a zone (UTC when absent); each problem is added with its path
    /// (<paramref name="cronPath"/>, <paramref name="zonePath"/>). Start and end of 0 or less mean no bound.
    /// </summary>
    public static CronSchedule? Parse(string? expression, string? zoneId, long? start, long? end, string cronPath, string zonePath, List<ValidationProblem> problems)
    {
        var cron = ParseExpression(expression, cronPath, problems);
        var zone = ParseZone(zoneId, zonePath, problems);
        return cron is null || zone is null ? null : new CronSchedule(cron, zone, start > 0 ? start : null, end > 0 ? end : null);
    }

    private static CronExpression? ParseExpression(string? expression, string path, List<ValidationProblem> problems)
    {
        if (string.IsNullOrWhiteSpace(expression))
        {
            problems.Add(new ValidationProblem(path, "a cron expression is required, e.g. '0 */5 * * * *' (seconds first) or '*/5 * * * *'"));
            return null;
        }
        if (expression.Length > MaxExpressionLength)
        {
            problems.Add(new ValidationProblem(path, $"a cron expression is at most {MaxExpressionLength} characters"));
            return null;
        }
        var trimmed = expression.Trim();
        var fields = trimmed.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
        CronFormat format;
        if (trimmed.StartsWith('@') || fields == 6) format = CronFormat.IncludeSeconds;
        else if (fields == 5) format = CronFormat.Standard;
        else
        {
            problems.Add(new ValidationProblem(path, $"'{expression}' has {fields} fields; write 6 (second minute hour day-of-month month day-of-week, as Spring and Orkes do) or 5 (minute first)"));
            return null;
        }
        try
        {
            return CronExpression.Parse(trimmed, format);
        }
        catch (CronFormatException e)
        {
            problems.Add(new ValidationProblem(path, $"'{expression}' is not a valid cron expression: {e.Message}"));
            return null;
        }
    }

    private static TimeZoneInfo? ParseZone(string? zoneId, string path, List<ValidationProblem> problems)
    {
        if (string.IsNullOrWhiteSpace(zoneId)) return TimeZoneInfo.Utc;
        if (zoneId.Length > MaxZoneLength)
        {
            problems.Add(new ValidationProblem(path, $"a zone id is at most {MaxZoneLength} characters"));
            return null;
        }
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            problems.Add(new ValidationProblem(path, $"'{zoneId}' is not a known time zone; use an IANA id such as 'UTC' or 'Europe/Paris'"));
            return null;
        }
    }

    /// <summary>The first due time strictly after <paramref name="afterMs"/>, not before the start nor after the end; null when there is none.</summary>
    public long? Next(long afterMs)
    {
        var from = Start is { } start && start - 1 > afterMs ? start - 1 : afterMs;
        var next = _cron.GetNextOccurrence(DateTimeOffset.FromUnixTimeMilliseconds(from), Zone, inclusive: false);
        if (next is null) return null;
        var ms = next.Value.ToUnixTimeMilliseconds();
        return End is { } end && ms > end ? null : ms;
    }

    /// <summary>Up to <paramref name="count"/> due times after <paramref name="afterMs"/>, in order.</summary>
    public List<long> NextFew(long afterMs, int count)
    {
        var times = new List<long>(count);
        var cursor = afterMs;
        while (times.Count < count && Next(cursor) is { } next)
        {
            times.Add(next);
            cursor = next;
        }
        return times;
    }

    /// <summary>The latest due time in [<paramref name="fromMs"/>, <paramref name="toMs"/>], or null. Looks back in widening windows, so a frequent cron costs little.</summary>
    public long? Latest(long fromMs, long toMs)
    {
        long[] spans = [60_000, 3_600_000, 86_400_000, 31L * 86_400_000, 366L * 86_400_000, long.MaxValue];
        foreach (var span in spans)
        {
            var windowStart = span == long.MaxValue || toMs - fromMs <= span ? fromMs : toMs - span;
            long? latest = null;
            for (var t = Next(windowStart - 1); t is { } due && due <= toMs; t = Next(due)) latest = due;
            if (latest is not null || windowStart == fromMs) return latest;
        }
        return null;
    }

    /// <summary>
    /// What is due at <paramref name="nowMs"/> for a schedule whose next due time is <paramref name="nextRunMs"/> (at or
    /// before now): with catch-up, every missed time in order, at most <paramref name="maxCatchUp"/> of them (the
    /// oldest; the rest are skipped); without, the latest missed time only. <see cref="DuePlan.After"/> is the next due
    /// time once these have fired.
    /// </summary>
    public DuePlan Plan(long nextRunMs, long nowMs, bool catchUp, int maxCatchUp)
    {
        if (!catchUp)
        {
            var latest = Latest(nextRunMs, nowMs) ?? nextRunMs;
            var skipped = 0L;
            for (var t = (long?)nextRunMs; t is { } due && due < latest && skipped < maxCatchUp * 100L; t = Next(due)) skipped++;
            return new DuePlan([latest], Next(nowMs), skipped);
        }
        var fires = new List<long> { nextRunMs };
        long? cursor = Next(nextRunMs);
        while (cursor is { } due && due <= nowMs && fires.Count < maxCatchUp)
        {
            fires.Add(due);
            cursor = Next(due);
        }
        if (cursor is not { } rest || rest > nowMs) return new DuePlan(fires, cursor, 0);
        // More were missed than one catch-up runs: count the rest (bounded) for the log, and go on from now.
        var left = 0L;
        for (var t = (long?)rest; t is { } due && due <= nowMs && left < maxCatchUp * 100L; t = Next(due)) left++;
        return new DuePlan(fires, Next(nowMs), left);
    }
}

/// <summary>The due times to fire now, the next due time after them, and how many missed times are not fired (at least; the count is bounded).</summary>
public sealed record DuePlan(IReadOnlyList<long> Fires, long? After, long Skipped);
