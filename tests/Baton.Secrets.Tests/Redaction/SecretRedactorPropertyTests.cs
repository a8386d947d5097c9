using System.Net;
using System.Text;
using System.Text.Json;
using Baton.Secrets.Redaction;

namespace Baton.Secrets.Tests.Redaction;

/// <summary>Random secrets, in random encodings, at random places in random text: the output never contains them
/// and differs from the text only by one mask where each one was.</summary>
public sealed class SecretRedactorPropertyTests
{
    // The filler text uses only lower-case letters, spaces and commas; secrets always contain an upper-case letter
    // and a digit, so no registered form can occur in the filler by chance and every difference is a secret's.
    private const string FillerAlphabet = "abcdefghijklmnopqrstuvwxyz    ,";
    private const string SecretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.+/=&<>\"' !~äü€秘";

    private static readonly Func<string, string>[] Encoders =
    [
        s => s,
        s => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)),
        s => Uri.EscapeDataString(s),
        s => WebUtility.UrlEncode(s),
        s => JsonSerializer.Serialize(s)[1..^1],
        s => Convert.ToHexString(Encoding.UTF8.GetBytes(s)),
        s => WebUtility.HtmlEncode(s),
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Random_secrets_at_random_positions_are_replaced_by_exactly_one_mask_each(int seed)
    {
        var random = new Random(seed);
        for (var round = 0; round < 40; round++)
        {
            var secrets = Enumerable.Range(0, random.Next(1, 6)).Select(_ => RandomSecret(random)).ToArray();
            var redactor = new SecretRedactor();
            redactor.Reset(secrets.Select((value, i) => new RedactionEntry($"S{i}", value)));

            var text = new StringBuilder();
            var expected = new StringBuilder();
            var embedded = new List<string>();
            for (var piece = random.Next(1, 8); piece > 0; piece--)
            {
                var filler = RandomText(random, FillerAlphabet, random.Next(1, 60));
                text.Append(filler);
                expected.Append(filler);
                var secret = secrets[random.Next(secrets.Length)];
                var encoded = Encoders[random.Next(Encoders.Length)](secret);
                embedded.Add(secret);
                text.Append(encoded);
                expected.Append(SecretRedactor.Mask);
            }
            var tail = RandomText(random, FillerAlphabet, random.Next(0, 30));
            text.Append(tail);
            expected.Append(tail);

            var redacted = redactor.Redact(text.ToString());

            Assert.Equal(expected.ToString(), redacted);
            foreach (var secret in embedded) Assert.DoesNotContain(secret, redacted, StringComparison.Ordinal);
            Assert.Equal(expected.ToString(), Encoding.UTF8.GetString(redactor.RedactUtf8(Encoding.UTF8.GetBytes(text.ToString()))!));
        }
    }

    private static string RandomSecret(Random random)
    {
        var body = RandomText(random, SecretAlphabet, random.Next(8, 40));
        return "Q7" + body;
    }

    private static string RandomText(Random random, string alphabet, int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++) chars[i] = alphabet[random.Next(alphabet.Length)];
        return new string(chars);
    }
}
