namespace Baton.Secrets.Redaction;

/// <summary>The base64 and base64url forms of a value that stay the same whatever surrounds the value.</summary>
/// <remarks>
/// Base64 turns each 3 bytes into 4 characters of 6 bits. When a value is encoded together with a prefix (as in
/// <c>base64("user:" + password)</c>) it starts at byte offset 0, 1 or 2 of a 3-byte group, and each offset gives a
/// different text. GitHub's runner handles this by also registering the base64 of the value with its first 1 or 2
/// bytes dropped (Base64StringEscapeShift1/2). Here the same idea is made exact: for each offset k the value is
/// encoded after k zero bytes, and only the characters whose 6 bits all come from the value are kept (the leading
/// ones that mix in prefix bits and the trailing one that mixes in whatever follows are trimmed, ADR 0297). That
/// catches the value after any prefix and before any suffix and masks one or two characters more than GitHub does.
/// When the value ends the encoded text, the trailing partial character and its padding depend only on the value,
/// so the forms running to the end (padded and unpadded) are registered as well; the longest match wins.
/// </remarks>
internal static class Base64Forms
{
    public static void AddTo(ICollection<string> forms, byte[] utf8)
    {
        for (var offset = 0; offset < 3; offset++)
        {
            var shifted = new byte[offset + utf8.Length];
            utf8.CopyTo(shifted, offset);
            var padded = Convert.ToBase64String(shifted);
            var unpaddedLength = padded.TrimEnd('=').Length;

            // Character j covers bits [6j, 6j + 6) of the shifted bytes; the value owns bits [8k, 8k + 8n).
            var firstOwned = (8 * offset + 5) / 6;
            var endOwned = 8 * (offset + utf8.Length) / 6;
            if (endOwned <= firstOwned) continue;

            AddBoth(forms, padded[firstOwned..endOwned]);
            AddBoth(forms, padded[firstOwned..unpaddedLength]);
            AddBoth(forms, padded[firstOwned..]);
        }
    }

    private static void AddBoth(ICollection<string> forms, string standard)
    {
        forms.Add(standard);
        forms.Add(ToUrlAlphabet(standard));
    }

    private static string ToUrlAlphabet(string standard)
    {
        if (standard.AsSpan().IndexOfAny('+', '/') < 0) return standard;
        return string.Create(standard.Length, standard, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = source[i] switch { '+' => '-', '/' => '_', var c => c };
            }
        });
    }
}
