using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Baton.Secrets.Redaction;

/// <summary>An immutable multi-pattern matcher: finds, from a position on, the next position where a registered
/// pattern starts and the longest pattern that starts there. Letters match in either case
/// (<see cref="StringComparison.OrdinalIgnoreCase"/>): Baton and its peers change the case of values (a URI's host
/// is lower-cased, a header may be upper-cased).</summary>
/// <remarks>
/// Every pattern is at least <see cref="Window"/> characters long (at most 8), so every occurrence starts with a
/// window of that many characters that is the start of some pattern. The scan reads the window at each text
/// position as two 64-bit words, hashes it, and tests two bits of one word of a blocked Bloom filter (a few hundred
/// KB for 100,000+ patterns); a miss, which is nearly every position, costs a handful of instructions. A hit looks
/// the window up in a dictionary of buckets, each holding the patterns that begin with that window, longest first,
/// and compares them with the text. Case is ignored by folding the window before it is hashed: bit 0x20 is cleared
/// in every character, by the same AND that masks the window to its length (so the scan does no more work), which
/// makes a–z equal to A–Z (and Latin-1, Greek and Cyrillic small letters equal to their capitals) and merges a few
/// pairs of other characters; the comparison that follows a filter hit is
/// <see cref="StringComparison.OrdinalIgnoreCase"/>, so those merges cost only a rare extra look. Building is linear
/// in the number of patterns, which keeps a rebuild after a secret changes cheap (SearchValues' Aho–Corasick build and scan were both slower at this size, see the bench).
/// </remarks>
internal sealed class PatternMatcher
{
    private const ulong Multiplier1 = 0x9E3779B97F4A7C15UL;
    private const ulong Multiplier2 = 0xC2B2AE3D27D4EB4FUL;
    private const int MaxWindow = 8;

    /// <summary>Bit 0x20 of each 16-bit character of a window word: cleared in every character, it folds case.</summary>
    private const ulong CaseFold = 0x0020_0020_0020_0020UL;

    private readonly string[] _patterns;
    private readonly string[] _owners;
    private readonly int[] _ordered;
    private readonly int[] _bucketStarts;
    private readonly Dictionary<WindowKey, int> _buckets;
    private readonly ulong[] _filter;
    private readonly int _filterShift;
    private readonly ulong _maskLow;
    private readonly ulong _maskHigh;

    private readonly Lazy<string[]> _sorted;

    public static readonly PatternMatcher Empty = new([], []);

    /// <param name="patterns">Non-empty patterns, distinct when case is ignored.</param>
    /// <param name="owners">For each pattern, the name of the secret it belongs to.</param>
    public PatternMatcher(string[] patterns, string[] owners)
    {
        _patterns = patterns;
        _owners = owners;
        _sorted = new Lazy<string[]>(SortedPatterns);
        Window = MaxWindow;
        foreach (var pattern in patterns)
        {
            Window = Math.Min(Window, pattern.Length);
            LongestPattern = Math.Max(LongestPattern, pattern.Length);
        }
        _maskLow = (Window >= 4 ? ulong.MaxValue : (1UL << (16 * Window)) - 1) & ~CaseFold;
        _maskHigh = (Window >= 8 ? ulong.MaxValue : Window <= 4 ? 0 : (1UL << (16 * (Window - 4))) - 1) & ~CaseFold;

        // Group the patterns by their first window: bucket ids in first-seen order, then counting sort.
        _buckets = new Dictionary<WindowKey, int>(patterns.Length);
        var bucketOf = new int[patterns.Length];
        var counts = new List<int>();
        for (var i = 0; i < patterns.Length; i++)
        {
            var key = KeyOf(patterns[i].AsSpan(0, Window));
            ref var id = ref CollectionsMarshal.GetValueRefOrAddDefault(_buckets, key, out var exists);
            if (!exists)
            {
                id = counts.Count;
                counts.Add(0);
            }
            bucketOf[i] = id;
            counts[id]++;
        }
        _bucketStarts = new int[counts.Count + 1];
        for (var b = 0; b < counts.Count; b++) _bucketStarts[b + 1] = _bucketStarts[b] + counts[b];
        var next = _bucketStarts[..^1];
        _ordered = new int[patterns.Length];
        for (var i = 0; i < patterns.Length; i++) _ordered[next[bucketOf[i]]++] = i;
        for (var b = 0; b < counts.Count; b++) SortLongestFirst(_ordered.AsSpan(_bucketStarts[b], counts[b]));

        // About 24 bits per distinct window, rounded up to a power of two words.
        var words = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(64, _buckets.Count * 24 / 64));
        _filter = new ulong[words];
        _filterShift = 64 - BitOperations.Log2((uint)words);
        foreach (var key in _buckets.Keys)
        {
            var hash = key.Hash;
            _filter[hash >> _filterShift] |= FilterBits(hash);
        }
    }

    /// <summary>The number of characters every pattern starts with that the filter looks at (1 to 8).</summary>
    public int Window { get; }

    public int PatternCount => _patterns.Length;

    /// <summary>The length of the longest pattern (0 when there is none).</summary>
    public int LongestPattern { get; }

    public string OwnerOf(int pattern) => _owners[pattern];

    /// <summary>The first position at or after <paramref name="from"/> where a pattern starts, or -1; with the
    /// length of the longest pattern that starts there and its index.</summary>
    public int FindNext(ReadOnlySpan<char> text, int from, out int length, out int pattern)
    {
        if (_patterns.Length > 0)
        {
            ref var start = ref MemoryMarshal.GetReference(text);
            ref var filter = ref MemoryMarshal.GetArrayDataReference(_filter);
            var shift = _filterShift;
            var maskLow = _maskLow;
            var maskHigh = _maskHigh;
            var i = from;
            for (var lastFull = text.Length - MaxWindow; i <= lastFull; i++)
            {
                ref var at = ref Unsafe.As<char, byte>(ref Unsafe.Add(ref start, i));
                var low = Unsafe.ReadUnaligned<ulong>(ref at) & maskLow;
                var high = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref at, 8)) & maskHigh;
                var hash = Hash(low, high);
                var bits = FilterBits(hash);
                if ((Unsafe.Add(ref filter, (nint)(hash >> shift)) & bits) != bits) continue;
                if (TryMatchAt(text, i, new WindowKey(low, high, hash), out length, out pattern)) return i;
            }

            // The last few positions, where fewer than 8 characters remain: read the window from a padded copy.
            Span<char> padded = stackalloc char[MaxWindow];
            for (var lastStart = text.Length - Window; i <= lastStart; i++)
            {
                padded.Clear();
                text[i..].CopyTo(padded);
                var key = KeyOf(padded);
                if ((_filter[key.Hash >> shift] & FilterBits(key.Hash)) != FilterBits(key.Hash)) continue;
                if (TryMatchAt(text, i, key, out length, out pattern)) return i;
            }
        }
        length = 0;
        pattern = -1;
        return -1;
    }

    /// <summary>The length of the longest end of <paramref name="text"/>, at least <paramref name="minimum"/>
    /// characters, that is the beginning of some pattern (case ignored); 0 when there is none.</summary>
    /// <remarks>Used where a text is cut: the end may hold the first part of a value. Rare, so it reads a sorted copy
    /// of the patterns (made on first use) by binary search, once per candidate start.</remarks>
    public int LongestTailStartingAPattern(ReadOnlySpan<char> text, int minimum)
    {
        if (_patterns.Length == 0) return 0;
        var sorted = _sorted.Value;
        for (var start = Math.Max(0, text.Length - LongestPattern); start <= text.Length - minimum; start++)
        {
            if (StartsSomePattern(sorted, text[start..])) return text.Length - start;
        }
        return 0;
    }

    /// <summary>Whether some pattern starts with <paramref name="prefix"/>: in case-ignoring order, the patterns that
    /// do follow one another from the first one not below the prefix.</summary>
    private static bool StartsSomePattern(string[] sorted, ReadOnlySpan<char> prefix)
    {
        var (low, high) = (0, sorted.Length);
        while (low < high)
        {
            var middle = low + ((high - low) / 2);
            if (sorted[middle].AsSpan().CompareTo(prefix, StringComparison.OrdinalIgnoreCase) < 0) low = middle + 1;
            else high = middle;
        }
        return low < sorted.Length && sorted[low].AsSpan().StartsWith(prefix, StringComparison.OrdinalIgnoreCase);
    }

    private string[] SortedPatterns()
    {
        var sorted = (string[])_patterns.Clone();
        Array.Sort(sorted, StringComparer.OrdinalIgnoreCase);
        return sorted;
    }

    private bool TryMatchAt(ReadOnlySpan<char> text, int position, WindowKey key, out int length, out int pattern)
    {
        if (_buckets.TryGetValue(key, out var bucket))
        {
            var rest = text[position..];
            for (var k = _bucketStarts[bucket]; k < _bucketStarts[bucket + 1]; k++)
            {
                var candidate = _patterns[_ordered[k]];
                if (rest.StartsWith(candidate, StringComparison.OrdinalIgnoreCase))
                {
                    length = candidate.Length;
                    pattern = _ordered[k];
                    return true;
                }
            }
        }
        length = 0;
        pattern = -1;
        return false;
    }

    private void SortLongestFirst(Span<int> bucket)
    {
        for (var i = 1; i < bucket.Length; i++)
        {
            var item = bucket[i];
            var j = i - 1;
            for (; j >= 0 && _patterns[bucket[j]].Length < _patterns[item].Length; j--) bucket[j + 1] = bucket[j];
            bucket[j + 1] = item;
        }
    }

    private WindowKey KeyOf(ReadOnlySpan<char> window)
    {
        Span<char> padded = stackalloc char[MaxWindow];
        padded.Clear();
        window[..Math.Min(window.Length, MaxWindow)].CopyTo(padded);
        var words = MemoryMarshal.Cast<char, ulong>(padded);
        var low = words[0] & _maskLow;
        var high = words[1] & _maskHigh;
        return new WindowKey(low, high, Hash(low, high));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Hash(ulong low, ulong high) => ((low * Multiplier1) ^ high) * Multiplier2;

    /// <summary>Two bits of one filter word, taken from hash bits below the ones that pick the word.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong FilterBits(ulong hash) => (1UL << (int)(hash >> 20)) | (1UL << (int)(hash >> 26));

    private readonly struct WindowKey(ulong low, ulong high, ulong hash) : IEquatable<WindowKey>
    {
        public ulong Low { get; } = low;
        public ulong High { get; } = high;
        public ulong Hash { get; } = hash;
        public bool Equals(WindowKey other) => Low == other.Low && High == other.High;
        public override bool Equals(object? obj) => obj is WindowKey other && Equals(other);
        public override int GetHashCode() => (int)(Hash >> 32);
    }
}
