using Baton.Secrets.Redaction;

namespace Baton.Secrets.Tests.Redaction;

public sealed class UriFormTests
{
    [Fact]
    public void A_value_written_into_a_url_as_system_uri_escapes_it_is_masked()
    {
        const string secret = "pa ss\"<w>&rd+/=x9";
        var redactor = new SecretRedactor();
        redactor.Reset([new RedactionEntry("special", secret)]);
        var query = new Uri("http://peer.local/p?q=" + secret).Query;
        Assert.DoesNotContain("%22", redactor.Redact(query), StringComparison.Ordinal);
        Assert.Equal("?q=***", redactor.Redact(query));
    }
}
