using System.Buffers;
using System.Text;

namespace Baton.Secrets.Redaction;

/// <summary>The one process-wide redactor: knows every live secret value and its encodings and replaces them with
/// <see cref="Mask"/> wherever they occur, in any letter case.</summary>
/// <remarks>
/// Readers are lock-free: each call reads one immutable snapshot through a volatile field, so a concurrent
/// <see cref="Reset"/> is seen either entirely or not at all. Resets are serialized; a reset reuses the encodings
/// of values the previous snapshot already knew, so changing one secret among thousands only rebuilds the matcher.
/// </remarks>
public sealed class SecretRedactor
{
    public const string Mask = "***";

    /// <summary>Where a text is cut, an end this long or longer that begins a value's form is masked; so at most
    /// two characters of a value can stay visible at a cut.</summary>
    public const int MinimumCutTail = 3;

    private readonly int _minimumLength;
    private readonly Lock _resetLock = new();
    private volatile Snapshot _snapshot = Snapshot.Empty;

    public SecretRedactor(RedactionOptions? options = null)
    {
        _minimumLength = Math.Max(1, (options ?? new RedactionOptions()).MinimumLength);
    }

    /// <summary>Distinct patterns registered (values × encodings).</summary>
    public int PatternCount => _snapshot.Matcher.PatternCount;

    /// <summary>The length of the longest registered form: a text read this much beyond a cut holds every value
    /// that straddles the cut whole.</summary>
    public int LongestPatternLength => _snapshot.Matcher.LongestPattern;

    /// <summary>Replaces everything the redactor knows, atomically: builds a new immutable matcher from the entries
    /// and their encodings, then swaps it in (readers never see a half-built one). Entries shorter than
    /// <see cref="RedactionOptions.MinimumLength"/> are not registered (and JSON leaves under it neither).</summary>
    public void Reset(IEnumerable<RedactionEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        lock (_resetLock)
        {
            var known = _snapshot.FormsByValue;
            var formsByValue = new Dictionary<string, string[]>(StringComparer.Ordinal);
            var ownerByPattern = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var entry in entries)
            {
                if (entry.Value is null || entry.Value.Length < _minimumLength) continue;
                if (!formsByValue.TryGetValue(entry.Value, out var forms))
                {
                    if (!known.TryGetValue(entry.Value, out forms))
                    {
                        forms = [.. SecretEncodings.Of(entry.Value, _minimumLength)];
                    }
                    formsByValue.Add(entry.Value, forms);
                }
                foreach (var form in forms) ownerByPattern.TryAdd(form, entry.SecretName ?? string.Empty);
            }

            var patterns = new string[ownerByPattern.Count];
            var owners = new string[ownerByPattern.Count];
            var i = 0;
            foreach (var (pattern, owner) in ownerByPattern)
            {
                patterns[i] = pattern;
                owners[i++] = owner;
            }
            _snapshot = new Snapshot(new PatternMatcher(patterns, owners), formsByValue);
        }
    }

    /// <summary>Replaces every occurrence of every pattern with <see cref="Mask"/>: longest match first, overlapping or
    /// adjacent matches merged into one mask. Returns the same string instance when nothing matched.</summary>
    public string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var matcher = _snapshot.Matcher;
        var position = matcher.FindNext(text, 0, out var length, out _);
        if (position < 0) return text;

        var masked = new List<MaskedRange>();
        CollectMasks(matcher, text, position, length, masked);
        return string.Create(RedactedLength(text.Length, masked), (text, masked), static (output, state) =>
            WriteRedacted(state.text, state.masked, output));
    }

    /// <summary>Redacts the whole text, then cuts it to at most <paramref name="maxLength"/> characters. Where it
    /// cuts (and at the end of a text that <paramref name="textWasCut"/> before it came here), an end of
    /// <see cref="MinimumCutTail"/> characters or more that begins one of the registered forms is replaced with
    /// <see cref="Mask"/>: a value the cut went through is not left half visible.</summary>
    public string RedactAndTruncate(string text, int maxLength, bool textWasCut = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, Mask.Length);
        var matcher = _snapshot.Matcher;
        var redacted = Redact(text);
        var cut = redacted.Length;
        if (cut > maxLength)
        {
            cut = maxLength;
            if (char.IsHighSurrogate(redacted[cut - 1])) cut--;
        }
        else if (!textWasCut)
        {
            return redacted;
        }
        var kept = redacted.AsSpan(0, cut);
        var tail = matcher.LongestTailStartingAPattern(kept, MinimumCutTail);
        if (tail == 0) return cut == redacted.Length ? redacted : new string(kept);
        return string.Concat(kept[..^tail], Mask);
    }

    /// <summary>UTF-8 in, UTF-8 out; null when nothing matched (so callers can pass the original bytes through).
    /// Where something matched, bytes that are not valid UTF-8 come out as U+FFFD.</summary>
    public byte[]? RedactUtf8(ReadOnlySpan<byte> utf8)
    {
        var matcher = _snapshot.Matcher;
        if (matcher.PatternCount == 0 || utf8.Length < matcher.Window) return null;

        var decoded = ArrayPool<char>.Shared.Rent(Encoding.UTF8.GetMaxCharCount(utf8.Length));
        char[]? redacted = null;
        try
        {
            var text = decoded.AsSpan(0, Encoding.UTF8.GetChars(utf8, decoded));
            var position = matcher.FindNext(text, 0, out var length, out _);
            if (position < 0) return null;

            var masked = new List<MaskedRange>();
            CollectMasks(matcher, text, position, length, masked);
            var redactedLength = RedactedLength(text.Length, masked);
            redacted = ArrayPool<char>.Shared.Rent(redactedLength);
            WriteRedacted(text, masked, redacted.AsSpan(0, redactedLength));
            return Encoding.UTF8.GetBytes(redacted, 0, redactedLength);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(decoded, clearArray: true);
            if (redacted is not null) ArrayPool<char>.Shared.Return(redacted, clearArray: true);
        }
    }

    /// <summary>The first secret whose value (in any registered encoding) occurs in text, or null. Used to refuse a
    /// definition that contains a literal secret value and to name that secret in the error.</summary>
    public string? FindSecretName(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var matcher = _snapshot.Matcher;
        return matcher.FindNext(text, 0, out _, out var pattern) < 0 ? null : matcher.OwnerOf(pattern);
    }

    private static void CollectMasks(PatternMatcher matcher, ReadOnlySpan<char> text, int position, int length, List<MaskedRange> masked)
    {
        var start = position;
        var end = position + length;
        // Resume one character after each match start, not after its end: a pattern starting inside this match may
        // run past it (overlapping secrets), and it must extend the mask rather than leave its tail visible.
        while ((position = matcher.FindNext(text, position + 1, out length, out _)) >= 0)
        {
            if (position <= end)
            {
                end = Math.Max(end, position + length);
                continue;
            }
            masked.Add(new MaskedRange(start, end));
            start = position;
            end = position + length;
        }
        masked.Add(new MaskedRange(start, end));
    }

    private static int RedactedLength(int textLength, List<MaskedRange> masked)
    {
        var length = textLength;
        foreach (var range in masked) length += Mask.Length - (range.End - range.Start);
        return length;
    }

    private static void WriteRedacted(ReadOnlySpan<char> text, List<MaskedRange> masked, Span<char> output)
    {
        var read = 0;
        var written = 0;
        foreach (var range in masked)
        {
            text[read..range.Start].CopyTo(output[written..]);
            written += range.Start - read;
            Mask.CopyTo(output[written..]);
            written += Mask.Length;
            read = range.End;
        }
        text[read..].CopyTo(output[written..]);
    }

    private readonly record struct MaskedRange(int Start, int End);

    private sealed record Snapshot(PatternMatcher Matcher, Dictionary<string, string[]> FormsByValue)
    {
        public static readonly Snapshot Empty = new(PatternMatcher.Empty, new Dictionary<string, string[]>(StringComparer.Ordinal));
    }
}
