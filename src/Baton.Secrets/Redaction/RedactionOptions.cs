namespace Baton.Secrets.Redaction;

/// <summary>How the redactor chooses what to register.</summary>
public sealed class RedactionOptions
{
    /// <summary>Values (and encodings, lines and JSON leaves of values) shorter than this are not registered: a short
    /// pattern such as "abc" would mask ordinary text and, by doing so, reveal the secret.</summary>
    public int MinimumLength { get; set; } = 8;
}
