using System.Buffers.Text;
using System.Net;
using System.Security;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Web;
using Baton.Secrets.Redaction;

namespace Baton.Secrets.Tests.Redaction;

/// <summary>Each form a secret is commonly written in is masked, computed here with the framework's own encoders
/// rather than the redactor's.</summary>
public sealed class SecretRedactorEncodingTests
{
    private const string Special = "Sup3r \"s&cret\" <key> + /=x'y";
    private const string NonAscii = "pässwörd-ü€-秘密-value";
    private const string Plain = "plainAlphaNumeric42";

    public static TheoryData<string, string> Encodings()
    {
        var data = new TheoryData<string, string>();
        foreach (var name in Encoders.Keys)
        {
            data.Add(name, Special);
            data.Add(name, NonAscii);
            data.Add(name, Plain);
        }
        return data;
    }

    private static readonly JsonSerializerOptions RelaxedJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly Dictionary<string, Func<string, string>> Encoders = new()
    {
        ["raw"] = s => s,
        ["base64 padded"] = s => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)),
        ["base64 unpadded"] = s => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('='),
        ["base64url unpadded"] = s => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(s)),
        ["base64url padded"] = s => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).Replace('+', '-').Replace('/', '_'),
        ["Uri.EscapeDataString"] = Uri.EscapeDataString,
        ["percent with lower-case hex"] = s => LowerHex(Uri.EscapeDataString(s)),
        ["WebUtility.UrlEncode"] = WebUtility.UrlEncode,
        ["HttpUtility.UrlEncode"] = s => HttpUtility.UrlEncode(s),
        ["form encoding"] = FormEncode,
        ["JSON default"] = s => JsonSerializer.Serialize(s)[1..^1],
        ["JSON relaxed"] = s => JsonSerializer.Serialize(s, RelaxedJson)[1..^1],
        ["JSON all non-ASCII as lower-case \\u"] = s => JsonUnicodeEscaped(s, "x4"),
        ["JSON all non-ASCII as upper-case \\u"] = s => JsonUnicodeEscaped(s, "X4"),
        ["hex lower"] = s => Convert.ToHexStringLower(Encoding.UTF8.GetBytes(s)),
        ["hex upper"] = s => Convert.ToHexString(Encoding.UTF8.GetBytes(s)),
        ["WebUtility.HtmlEncode"] = WebUtility.HtmlEncode,
        ["SecurityElement.Escape"] = s => SecurityElement.Escape(s)!,
        ["HtmlEncoder.Default"] = s => HtmlEncoder.Default.Encode(s),
    };

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Every_common_encoding_of_a_value_is_masked(string encoding, string secret)
    {
        var redactor = Redactor(("TOKEN", secret));
        var encoded = Encoders[encoding](secret);

        Assert.Equal("before [***] after", redactor.Redact($"before [{encoded}] after"));
    }

    [Fact]
    public void The_secret_inside_a_JSON_document_written_by_System_Text_Json_is_masked_and_the_document_keeps_its_shape()
    {
        var redactor = Redactor(("TOKEN", Special), ("OTHER", NonAscii));
        var json = JsonSerializer.Serialize(new { token = Special, other = NonAscii, n = 1 });

        Assert.Equal("""{"token":"***","other":"***","n":1}""", redactor.Redact(json));
    }

    [Fact]
    public void Base64_of_a_prefix_and_the_secret_keeps_the_prefix_visible_and_masks_the_secret_part()
    {
        var redactor = Redactor(("PASSWORD", "Password123!"));

        // GitHub's DefaultSecretMaskers keeps "dXNlcjpQ" and "YWI6" visible; here only the characters that carry bits
        // of the prefix stay ("Q" is the low 6 bits of "P", so it is masked too).
        Assert.Equal("dXNlcjp***", redactor.Redact(B64("user:Password123!")));
        Assert.Equal("YWI6***", redactor.Redact(B64("ab:Password123!")));
        Assert.Equal("YTp***", redactor.Redact(B64("a:Password123!")));
        Assert.Equal("Ol***", redactor.Redact(B64(":Password123!")));
        Assert.Equal("YWJjOl***", redactor.Redact(B64("abc:Password123!")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("ab")]
    [InlineData("abc")]
    [InlineData("abcd")]
    [InlineData("user:")]
    public void Base64_of_the_secret_between_any_prefix_and_suffix_shows_only_characters_that_carry_prefix_or_suffix_bits(string prefix)
    {
        const string secret = "TeLL? noboDy~ SEcreT?";
        var redactor = Redactor(("S", secret));
        foreach (var suffix in new[] { "", "z", "zz", "zzz", "\n", "\r\n" })
        {
            foreach (var url in new[] { false, true })
            {
                var encoded = B64(prefix + secret + suffix);
                if (url) encoded = encoded.Replace('+', '-').Replace('/', '_');
                var prefixChars = (8 * Encoding.UTF8.GetByteCount(prefix) + 5) / 6;
                var ownedEnd = 8 * Encoding.UTF8.GetByteCount(prefix + secret) / 6;

                var masked = redactor.Redact(encoded);

                Assert.StartsWith(encoded[..prefixChars] + SecretRedactor.Mask, masked, StringComparison.Ordinal);
                var rest = masked[(prefixChars + SecretRedactor.Mask.Length)..];
                Assert.True(rest.Length <= encoded.Length - ownedEnd, $"'{prefix}' + secret + '{suffix}': {masked}");
                Assert.EndsWith(rest, encoded, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Non_ASCII_values_are_masked_raw_JSON_escaped_percent_encoded_and_in_base64()
    {
        var redactor = Redactor(("S", NonAscii));

        Assert.Equal("a *** b", redactor.Redact($"a {NonAscii} b"));
        Assert.Equal("""{"p":"***"}""", redactor.Redact(JsonSerializer.Serialize(new { p = NonAscii })));
        Assert.Contains(@"\u00E4", JsonSerializer.Serialize(NonAscii), StringComparison.Ordinal);
        Assert.Equal("https://h/?p=***&q=1", redactor.Redact($"https://h/?p={Uri.EscapeDataString(NonAscii)}&q=1"));
        Assert.Equal("Basic ***", redactor.Redact("Basic " + B64(NonAscii)));
    }

    [Fact]
    public void Values_with_quotes_ampersands_angle_brackets_plus_slash_equals_and_spaces_are_masked_in_every_context()
    {
        var redactor = Redactor(("S", Special));

        Assert.Equal("x=***;", redactor.Redact($"x={Special};"));
        Assert.Equal("<a title=\"***\">", redactor.Redact($"<a title=\"{WebUtility.HtmlEncode(Special)}\">"));
        Assert.Equal("curl -H \"***\"", redactor.Redact($"curl -H \"{Special.Replace("\"", "\\\"", StringComparison.Ordinal)}\""));
        Assert.Equal("echo '***'", redactor.Redact($"echo '{Special.Replace("'", "'\\''", StringComparison.Ordinal)}'"));
    }

    private static SecretRedactor Redactor(params (string Name, string Value)[] secrets)
    {
        var redactor = new SecretRedactor();
        redactor.Reset(secrets.Select(s => new RedactionEntry(s.Name, s.Value)));
        return redactor;
    }

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static string LowerHex(string percentEncoded)
    {
        var chars = percentEncoded.ToCharArray();
        for (var i = 0; i + 2 < chars.Length; i++)
        {
            if (chars[i] != '%') continue;
            chars[i + 1] = char.ToLowerInvariant(chars[i + 1]);
            chars[i + 2] = char.ToLowerInvariant(chars[i + 2]);
        }
        return new string(chars);
    }

    private static string FormEncode(string value)
    {
        using var content = new FormUrlEncodedContent([new KeyValuePair<string, string>("k", value)]);
        return content.ReadAsStringAsync().GetAwaiter().GetResult()[2..];
    }

    private static string JsonUnicodeEscaped(string value, string hexFormat)
    {
        var builder = new StringBuilder();
        foreach (var c in value)
        {
            if (c > '~') builder.Append("\\u").Append(((int)c).ToString(hexFormat, System.Globalization.CultureInfo.InvariantCulture));
            else if (c is '"' or '\\') builder.Append('\\').Append(c);
            else builder.Append(c);
        }
        return builder.ToString();
    }
}
