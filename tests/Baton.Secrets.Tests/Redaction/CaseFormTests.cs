using System.Text;
using Baton.Secrets.Redaction;

namespace Baton.Secrets.Tests.Redaction;

/// <summary>Issue 13 finding 7a: Baton and its peers change a value's case (a URI lower-cases its host), so values
/// match in any letter case.</summary>
public sealed class CaseFormTests
{
    [Fact]
    public void A_value_used_as_a_host_is_masked_after_the_uri_lower_cases_it()
    {
        const string value = "Db-Primary-7QX2KZ.Example";
        var redactor = Redactor(("DB_HOST", value));
        var host = new Uri($"http://{value}:1/x").Authority;

        Assert.NotEqual(value + ":1", host);
        Assert.Equal("request to ***:1 failed (HostNotFound)", redactor.Redact($"request to {host} failed (HostNotFound)"));
        Assert.Equal("DB_HOST", redactor.FindSecretName(host));
    }

    [Theory]
    [InlineData("TOKEN-ABCDEF-123456")]
    [InlineData("token-abcdef-123456")]
    [InlineData("Token-AbCdEf-123456")]
    public void Upper_lower_and_mixed_case_copies_of_a_value_are_masked(string copy)
    {
        var redactor = Redactor(("TOKEN", "Token-abcDEF-123456"));

        Assert.Equal("[***]", redactor.Redact($"[{copy}]"));
        Assert.NotNull(redactor.RedactUtf8(Encoding.UTF8.GetBytes($"[{copy}]")));
    }

    [Fact]
    public void A_case_changed_copy_of_an_encoded_form_is_masked()
    {
        const string value = "Pass word/with+symbols";
        var redactor = Redactor(("P", value));

        Assert.Equal("q=***", redactor.Redact("q=" + Uri.EscapeDataString(value).ToUpperInvariant()));
        Assert.Equal("h=***", redactor.Redact("h=" + Convert.ToHexString(Encoding.UTF8.GetBytes(value)).ToLowerInvariant()));
    }

    [Fact]
    public void A_non_ascii_host_is_masked_in_its_punycode_form()
    {
        const string value = "Bücher-Geheim-Host.example";
        var redactor = Redactor(("IDN_HOST", value));
        var punycode = new Uri($"http://{value}/").IdnHost;

        Assert.StartsWith("xn--", punycode, StringComparison.Ordinal);
        Assert.Equal("to *** failed", redactor.Redact($"to {punycode} failed"));
        Assert.Equal("to *** failed", redactor.Redact($"to {value.ToLowerInvariant()} failed"));
    }

    [Fact]
    public void Characters_that_share_a_folded_window_but_differ_are_not_masked()
    {
        // The matcher folds case by clearing bit 0x20, which also pairs '_' with DEL and '@' with '`'; the exact
        // comparison after the filter tells them apart.
        var redactor = Redactor(("A", "key_with@symbols"));

        const string lookalike = "key\u007Fwith`symbols";
        Assert.Same(lookalike, redactor.Redact(lookalike));
        Assert.Equal("***", redactor.Redact("KEY_WITH@SYMBOLS"));
    }

    [Fact]
    public void Forms_that_differ_only_in_case_are_registered_once()
    {
        var forms = SecretEncodings.Of("abcdef-0123-value", 8).ToList();

        Assert.Equal(forms.Count, forms.Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    private static SecretRedactor Redactor(params (string Name, string Value)[] secrets)
    {
        var redactor = new SecretRedactor();
        redactor.Reset(secrets.Select(s => new RedactionEntry(s.Name, s.Value)));
        return redactor;
    }
}
