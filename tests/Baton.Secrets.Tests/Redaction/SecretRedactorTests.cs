using System.Text;
using Baton.Secrets.Redaction;

namespace Baton.Secrets.Tests.Redaction;

public sealed class SecretRedactorTests
{
    [Fact]
    public void The_longest_match_wins_when_one_value_contains_another()
    {
        var redactor = Redactor(("SHORT", "abcdefgh12"), ("LONG", "abcdefgh12345678"));

        Assert.Equal("x *** y", redactor.Redact("x abcdefgh12345678 y"));
        Assert.Equal("x *** y", redactor.Redact("x abcdefgh12 y"));
    }

    [Fact]
    public void Overlapping_matches_merge_into_one_mask()
    {
        var redactor = Redactor(("A", "abcdefghij"), ("B", "fghijklmnop"));

        Assert.Equal("<***>", redactor.Redact("<abcdefghijklmnop>"));
    }

    [Fact]
    public void A_match_that_starts_inside_another_and_ends_beyond_it_leaves_no_tail_visible()
    {
        var redactor = Redactor(("A", "0123456789"), ("B", "23456789ABCDEF"));

        Assert.Equal("[***]", redactor.Redact("[0123456789ABCDEF]"));
    }

    [Fact]
    public void Adjacent_matches_merge_into_one_mask()
    {
        var redactor = Redactor(("A", "secretAAAA1"), ("B", "secretBBBB2"));

        Assert.Equal("<***>", redactor.Redact("<secretAAAA1secretBBBB2>"));
        Assert.Equal("<***>", redactor.Redact("<secretAAAA1secretAAAA1secretAAAA1>"));
        Assert.Equal("<*** ***>", redactor.Redact("<secretAAAA1 secretBBBB2>"));
    }

    [Fact]
    public void A_multi_line_PEM_block_is_masked_whole_and_line_by_line()
    {
        const string pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3S\n-----END PRIVATE KEY-----\n";
        var redactor = Redactor(("TLS_KEY", pem));

        Assert.Equal("key: *** done", redactor.Redact($"key: {pem} done"));
        Assert.Equal("key: *** done", redactor.Redact($"key: {pem.Replace("\n", "\r\n", StringComparison.Ordinal)} done"));
        Assert.Equal("""{"key":"***"}""", redactor.Redact(System.Text.Json.JsonSerializer.Serialize(new { key = pem })));

        // A child process that prints the key re-indented, one line per log record.
        var lines = pem.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => $"    {line}  ").ToArray();
        foreach (var line in lines) Assert.Equal("    ***  ", redactor.Redact(line));
        Assert.Equal("stderr: *** (line 2)", redactor.Redact("stderr: MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3S (line 2)"));
    }

    [Fact]
    public void Lines_shorter_than_the_minimum_are_not_registered_on_their_own()
    {
        var forms = SecretEncodings.Of("first-line-secret\nxy\nlast-line-secret", 8).ToList();

        Assert.Contains("first-line-secret", forms);
        Assert.Contains("last-line-secret", forms);
        Assert.DoesNotContain("xy", forms);
        Assert.All(forms, form => Assert.True(form.Length >= 8, form));
    }

    [Fact]
    public void The_string_and_number_leaves_of_a_JSON_secret_are_masked_and_short_leaves_are_not()
    {
        const string credentials = """
            {"username": "svc-deployer", "password": "hunter2-but-longer", "port": 5432, "host": "db",
             "pin": 123456789, "nested": {"apiKeys": ["key-one-aaaaaaa", "ok"]}, "enabled": true}
            """;
        var redactor = Redactor(("DB", credentials));

        Assert.Equal("user=*** pass=*** pin=***", redactor.Redact("user=svc-deployer pass=hunter2-but-longer pin=123456789"));
        Assert.Equal("k=***", redactor.Redact("k=key-one-aaaaaaa"));
        Assert.Equal("Basic ***", redactor.Redact("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("hunter2-but-longer"))));
        const string ordinary = "host=db port=5432 enabled=true ok";
        Assert.Same(ordinary, redactor.Redact(ordinary));
    }

    [Fact]
    public void Values_under_the_minimum_are_not_registered_and_ordinary_text_is_untouched()
    {
        var redactor = Redactor(("SHORT", "abc"), ("SEVEN", "abcdefg"));
        const string text = "abc abcdefg abcabc and the alphabet: abcdefghijklmnopqrstuvwxyz";

        Assert.Equal(0, redactor.PatternCount);
        Assert.Same(text, redactor.Redact(text));
        Assert.Null(redactor.FindSecretName(text));
        Assert.Null(redactor.RedactUtf8(Encoding.UTF8.GetBytes(text)));
    }

    [Fact]
    public void A_lower_minimum_registers_shorter_values()
    {
        var redactor = new SecretRedactor(new RedactionOptions { MinimumLength = 4 });
        redactor.Reset([new RedactionEntry("PIN", "4321")]);

        Assert.Equal("pin ***!", redactor.Redact("pin 4321!"));
        Assert.Equal("***", redactor.Redact("4321"));
        Assert.Equal("43", redactor.Redact("43"));
    }

    [Fact]
    public void Text_without_secrets_comes_back_as_the_same_instance()
    {
        var redactor = Redactor(("TOKEN", "ghp_abcdefghijklmnop0123456789"));
        var text = string.Concat(Enumerable.Repeat("""{"status":"COMPLETED","output":{"rows":42}} """, 100));

        Assert.Same(text, redactor.Redact(text));
        Assert.Same(string.Empty, redactor.Redact(string.Empty));
    }

    [Fact]
    public void PatternCount_counts_each_distinct_form_once_across_secrets()
    {
        var redactor = Redactor(("A", "same-value-123"), ("B", "same-value-123"));

        Assert.Equal(SecretEncodings.Of("same-value-123", 8).Count(), redactor.PatternCount);
    }

    [Fact]
    public void Reset_replaces_the_set_old_values_are_no_longer_masked_and_new_ones_are()
    {
        var redactor = Redactor(("OLD", "old-secret-value"));
        Assert.Equal("***", redactor.Redact("old-secret-value"));

        redactor.Reset([new RedactionEntry("NEW", "new-secret-value")]);

        Assert.Equal("old-secret-value ***", redactor.Redact("old-secret-value new-secret-value"));
        Assert.Equal("NEW", redactor.FindSecretName("x new-secret-value"));
        Assert.Null(redactor.FindSecretName("old-secret-value"));
    }

    [Fact]
    public async Task Concurrent_redactions_during_repeated_resets_see_one_whole_set_or_the_other()
    {
        string[] setA = ["alpha-secret-one", "alpha-secret-two", "alpha-secret-three"];
        string[] setB = ["bravo-secret-one", "bravo-secret-two", "bravo-secret-three"];
        var text = string.Join(" | ", setA.Concat(setB));
        var maskedA = string.Join(" | ", setA.Select(_ => "***").Concat(setB));
        var maskedB = string.Join(" | ", setA.Concat(setB.Select(_ => "***")));
        var redactor = new SecretRedactor();
        redactor.Reset(setA.Select(v => new RedactionEntry("A", v)));

        var writing = true;
        var writer = Task.Run(() =>
        {
            for (var resets = 0; resets < 300; resets++)
            {
                redactor.Reset((resets % 2 == 0 ? setB : setA).Select(v => new RedactionEntry("X", v)));
            }
            Volatile.Write(ref writing, false);
        });
        var readers = Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
        {
            var seen = new HashSet<string>();
            do
            {
                var result = redactor.Redact(text);
                Assert.True(result == maskedA || result == maskedB, result);
                var bytes = redactor.RedactUtf8(Encoding.UTF8.GetBytes(text));
                Assert.NotNull(bytes);
                var decoded = Encoding.UTF8.GetString(bytes);
                Assert.True(decoded == maskedA || decoded == maskedB, decoded);
                seen.Add(result);
            }
            while (Volatile.Read(ref writing));
            return seen.Count;
        })).ToArray();

        await writer;
        foreach (var reader in readers) Assert.InRange(await reader, 1, 2);
    }

    [Fact]
    public void RedactUtf8_returns_null_when_nothing_matched_and_the_redacted_bytes_otherwise()
    {
        var redactor = Redactor(("TOKEN", "pässwörd-ü€-秘密-value"));

        Assert.Null(redactor.RedactUtf8(Encoding.UTF8.GetBytes("""{"status":"ok","note":"ü€ only"}""")));
        Assert.Null(redactor.RedactUtf8([]));

        var redacted = redactor.RedactUtf8(Encoding.UTF8.GetBytes("""{"token":"pässwörd-ü€-秘密-value","ü":"€"}"""));

        Assert.NotNull(redacted);
        Assert.Equal("""{"token":"***","ü":"€"}""", Encoding.UTF8.GetString(redacted));
    }

    [Fact]
    public void FindSecretName_names_the_secret_whose_encoded_value_occurs()
    {
        var redactor = Redactor(("API_TOKEN", "tok-0123456789abcdef"), ("DB_PASSWORD", "correct horse battery"));

        Assert.Equal("DB_PASSWORD", redactor.FindSecretName("url: postgres://u:correct%20horse%20battery@db/x"));
        Assert.Equal("API_TOKEN", redactor.FindSecretName("Authorization: Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("me:tok-0123456789abcdef"))));
        Assert.Equal("API_TOKEN", redactor.FindSecretName("746f6b2d30313233343536373839616263646566"));
        Assert.Null(redactor.FindSecretName("${workflow.secrets.API_TOKEN}"));
    }

    private static SecretRedactor Redactor(params (string Name, string Value)[] secrets)
    {
        var redactor = new SecretRedactor();
        redactor.Reset(secrets.Select(s => new RedactionEntry(s.Name, s.Value)));
        return redactor;
    }
}
