using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Baton.Jq;

/// <summary>jq's time functions, always in UTC ("broken down time" is [year, month 0-11, day, hours, minutes,
/// seconds, weekday, day of year]).</summary>
internal static class Dates
{
    private static readonly string[] Days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
    private static readonly string[] Months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

    public static JsonArray GmTime(JsonNode? v)
    {
        if (!Values.TryNumber(v, out var t)) throw JqError.Of("gmtime() requires a number");
        // jq 1.6: the time is the truncated number; the seconds get the fraction above its floor.
        var whole = Math.Truncate(t);
        if (double.IsNaN(t) || whole < -62135596800 || whole > 253402300799) throw JqError.Of("gmtime() result out of range");
        var dt = DateTime.UnixEpoch.AddSeconds(whole);
        var seconds = dt.Second + (t - Math.Floor(t));
        return new JsonArray(dt.Year, dt.Month - 1, dt.Day, dt.Hour, dt.Minute, seconds, (int)dt.DayOfWeek, dt.DayOfYear - 1);
    }

    private static DateTime FromBrokenDown(JsonNode? v, string who)
    {
        if (v is not JsonArray a) throw JqError.Of($"{who} requires array inputs");
        if (a.Count < 6) throw JqError.Of($"{who} requires parsed datetime inputs");
        var n = new double[6];
        for (var i = 0; i < 6; i++)
        {
            if (!Values.TryNumber(a[i], out n[i])) throw JqError.Of($"{who} requires parsed datetime inputs");
            n[i] = Math.Floor(n[i]);
        }
        try
        {
            return new DateTime((int)n[0], 1, 1, 0, 0, 0, DateTimeKind.Utc)
                .AddMonths((int)n[1]).AddDays(n[2] - 1).AddHours(n[3]).AddMinutes(n[4]).AddSeconds(n[5]);
        }
        catch (ArgumentException)
        {
            throw JqError.Of($"invalid gmtime representation");
        }
    }

    public static double MkTime(JsonNode? v)
    {
        var dt = FromBrokenDown(v, "mktime");
        return (dt - DateTime.UnixEpoch).TotalSeconds;
    }

    public static string StrFTime(JsonNode? v, JsonNode? format)
    {
        if (!Values.TryString(format, out var fmt)) throw JqError.Of("strftime/1 requires a string format");
        if (Values.Kind(v) == JqKind.Number) v = GmTime(v);
        else if (v is not JsonArray) throw JqError.Of("strftime/1 requires parsed datetime inputs");
        var dt = FromBrokenDown(v, "strftime/1");
        var seconds = Values.TryNumber(((JsonArray)v!)[5], out var s) ? s : 0;
        var sb = new StringBuilder();
        for (var i = 0; i < fmt.Length; i++)
        {
            var c = fmt[i];
            if (c != '%' || i + 1 >= fmt.Length) { sb.Append(c); continue; }
            var f = fmt[++i];
            switch (f)
            {
                case 'Y': sb.Append(dt.Year.ToString(CultureInfo.InvariantCulture)); break;
                case 'C': sb.Append((dt.Year / 100).ToString("00", CultureInfo.InvariantCulture)); break;
                case 'y': sb.Append((dt.Year % 100).ToString("00", CultureInfo.InvariantCulture)); break;
                case 'm': sb.Append(dt.Month.ToString("00", CultureInfo.InvariantCulture)); break;
                case 'd': sb.Append(dt.Day.ToString("00", CultureInfo.InvariantCulture)); break;
                case 'e': sb.Append(dt.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2)); break;
                case 'H': sb.Append(dt.Hour.ToString("00", CultureInfo.InvariantCulture)); break;
                case 'k': sb.Append(dt.Hour.ToString(CultureInfo.InvariantCulture).PadLeft(2)); break;
                case 'I': sb.Append(Hour12(dt).ToString("00", CultureInfo.InvariantCulture)); break;
                case 'l': sb.Append(Hour12(dt).ToString(CultureInfo.InvariantCulture).PadLeft(2)); break;
                case 'M': sb.Append(dt.Minute.ToString("00", CultureInfo.InvariantCulture)); break;
                case 'S': sb.Append(((int)Math.Floor(seconds) % 61).ToString("00", CultureInfo.InvariantCulture)); break;
                case 'j': sb.Append(dt.DayOfYear.ToString("000", CultureInfo.InvariantCulture)); break;
                case 'Z': sb.Append("UTC"); break;
                case 'z': sb.Append("+0000"); break;
                case 'a': sb.Append(Days[(int)dt.DayOfWeek][..3]); break;
                case 'A': sb.Append(Days[(int)dt.DayOfWeek]); break;
                case 'b': case 'h': sb.Append(Months[dt.Month - 1][..3]); break;
                case 'B': sb.Append(Months[dt.Month - 1]); break;
                case 'p': sb.Append(dt.Hour < 12 ? "AM" : "PM"); break;
                case 'u': sb.Append(dt.DayOfWeek == DayOfWeek.Sunday ? 7 : (int)dt.DayOfWeek); break;
                case 'w': sb.Append((int)dt.DayOfWeek); break;
                case 's': sb.Append(((long)(dt - DateTime.UnixEpoch).TotalSeconds).ToString(CultureInfo.InvariantCulture)); break;
                case 'T': sb.Append(dt.ToString("HH:mm:ss", CultureInfo.InvariantCulture)); break;
                case 'R': sb.Append(dt.ToString("HH:mm", CultureInfo.InvariantCulture)); break;
                case 'D': sb.Append(dt.ToString("MM/dd/yy", CultureInfo.InvariantCulture)); break;
                case 'F': sb.Append(dt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)); break;
                case 'c':
                    sb.Append(Days[(int)dt.DayOfWeek][..3]).Append(' ').Append(Months[dt.Month - 1][..3]).Append(' ')
                      .Append(dt.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2)).Append(' ')
                      .Append(dt.ToString("HH:mm:ss yyyy", CultureInfo.InvariantCulture));
                    break;
                case 'x': sb.Append(dt.ToString("MM/dd/yy", CultureInfo.InvariantCulture)); break;
                case 'X': sb.Append(dt.ToString("HH:mm:ss", CultureInfo.InvariantCulture)); break;
                case 'G': sb.Append(ISOWeek.GetYear(dt).ToString(CultureInfo.InvariantCulture)); break;
                case 'V': sb.Append(ISOWeek.GetWeekOfYear(dt).ToString("00", CultureInfo.InvariantCulture)); break;
                case 'U': sb.Append(((dt.DayOfYear + 6 - (int)dt.DayOfWeek) / 7).ToString("00", CultureInfo.InvariantCulture)); break;
                case 'W': sb.Append(((dt.DayOfYear + 6 - ((int)dt.DayOfWeek + 6) % 7) / 7).ToString("00", CultureInfo.InvariantCulture)); break;
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case '%': sb.Append('%'); break;
                default: sb.Append('%').Append(f); break;
            }
        }
        return sb.ToString();

        static int Hour12(DateTime dt) => dt.Hour % 12 == 0 ? 12 : dt.Hour % 12;
    }

    public static JsonArray StrPTime(JsonNode? v, JsonNode? format)
    {
        if (!Values.TryString(v, out var s)) throw JqError.Of($"strptime/1 requires string inputs and arguments");
        if (!Values.TryString(format, out var fmt)) throw JqError.Of("strptime/1 requires string inputs and arguments");
        int year = 1900, month = 1, day = 1, hour = 0, minute = 0, second = 0;
        var pm = (bool?)null;
        long? epoch = null;
        var pos = 0;
        JqError Mismatch() => JqError.Of($"date \"{s}\" does not match format \"{fmt}\"");
        for (var i = 0; i < fmt.Length; i++)
        {
            var c = fmt[i];
            if (char.IsWhiteSpace(c))
            {
                while (pos < s.Length && char.IsWhiteSpace(s[pos])) pos++;
                continue;
            }
            if (c != '%' || i + 1 >= fmt.Length)
            {
                if (pos >= s.Length || s[pos] != c) throw Mismatch();
                pos++;
                continue;
            }
            var f = fmt[++i];
            switch (f)
            {
                case 'Y': year = Number(4, allowSign: true); break;
                case 'm': month = Number(2); break;
                case 'd': case 'e': SkipSpaces(); day = Number(2); break;
                case 'H': case 'k': SkipSpaces(); hour = Number(2); break;
                case 'I': case 'l': SkipSpaces(); hour = Number(2); break;
                case 'M': minute = Number(2); break;
                case 'S': second = Number(2); break;
                case 'y': { var y = Number(2); year = y < 69 ? 2000 + y : 1900 + y; break; }
                case 'j': { var yd = Number(3); month = 1; day = yd; break; }
                case 'p':
                    if (Take("AM") || Take("am")) pm = false;
                    else if (Take("PM") || Take("pm")) pm = true;
                    else throw Mismatch();
                    break;
                case 'a': case 'A': if (!TakeName(Days)) throw Mismatch(); break;
                case 'b':
                case 'B':
                case 'h':
                    {
                        var m = TakeNameIndex(Months);
                        if (m < 0) throw Mismatch();
                        month = m + 1;
                        break;
                    }
                case 'Z':
                    while (pos < s.Length && char.IsAsciiLetter(s[pos])) pos++;
                    break;
                case 'z':
                    if (Take("Z")) break;
                    if (pos < s.Length && s[pos] is '+' or '-')
                    {
                        pos++;
                        Number(2);
                        if (pos < s.Length && s[pos] == ':') pos++;
                        Number(2);
                        break;
                    }
                    throw Mismatch();
                case 's': epoch = Number(19, allowSign: true); break;
                case 'T': hour = Number(2); Expect(':'); minute = Number(2); Expect(':'); second = Number(2); break;
                case 'R': hour = Number(2); Expect(':'); minute = Number(2); break;
                case 'D': month = Number(2); Expect('/'); day = Number(2); Expect('/'); { var y = Number(2); year = y < 69 ? 2000 + y : 1900 + y; } break;
                case 'F': year = Number(4, allowSign: true); Expect('-'); month = Number(2); Expect('-'); day = Number(2); break;
                case 'n': case 't': while (pos < s.Length && char.IsWhiteSpace(s[pos])) pos++; break;
                case '%': Expect('%'); break;
                default: throw JqError.Of($"strptime/1: unsupported format %{f}");
            }
        }
        if (pos != s.Length) throw Mismatch();
        if (pm is not null && hour <= 12) hour = pm.Value ? hour % 12 + 12 : hour % 12;
        DateTime dt;
        try
        {
            dt = epoch is { } ep
                ? DateTime.UnixEpoch.AddSeconds(ep)
                : new DateTime(year, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(month - 1).AddDays(day - 1).AddHours(hour).AddMinutes(minute).AddSeconds(second);
        }
        catch (ArgumentException)
        {
            throw Mismatch();
        }
        return new JsonArray(dt.Year, dt.Month - 1, dt.Day, dt.Hour, dt.Minute, dt.Second, (int)dt.DayOfWeek, dt.DayOfYear - 1);

        void SkipSpaces()
        {
            while (pos < s.Length && s[pos] == ' ') pos++;
        }

        void Expect(char ch)
        {
            if (pos >= s.Length || s[pos] != ch) throw Mismatch();
            pos++;
        }

        bool Take(string text)
        {
            if (string.CompareOrdinal(s, pos, text, 0, text.Length) != 0) return false;
            pos += text.Length;
            return true;
        }

        int TakeNameIndex(string[] names)
        {
            for (var n = 0; n < names.Length; n++)
            {
                foreach (var candidate in new[] { names[n], names[n][..3] })
                {
                    if (pos + candidate.Length <= s.Length && string.Compare(s, pos, candidate, 0, candidate.Length, StringComparison.OrdinalIgnoreCase) == 0)
                    {
                        pos += candidate.Length;
                        return n;
                    }
                }
            }
            return -1;
        }

        bool TakeName(string[] names) => TakeNameIndex(names) >= 0;

        int Number(int maxDigits, bool allowSign = false)
        {
            var start = pos;
            var neg = false;
            if (allowSign && pos < s.Length && s[pos] is '+' or '-') { neg = s[pos] == '-'; pos++; }
            var digitsStart = pos;
            long n = 0;
            while (pos < s.Length && pos - digitsStart < maxDigits && char.IsAsciiDigit(s[pos])) n = n * 10 + (s[pos++] - '0');
            if (pos == digitsStart) { pos = start; throw Mismatch(); }
            return (int)Math.Clamp(neg ? -n : n, int.MinValue, int.MaxValue);
        }
    }
}
