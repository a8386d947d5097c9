namespace Baton.Secrets;

/// <summary>Secrets settings (configuration section <c>Baton:Secrets</c>).</summary>
public sealed class SecretsOptions
{
    /// <summary>The master key as base64 (32 bytes). The environment variable BATON_MASTER_KEY wins over this.</summary>
    public string? MasterKey { get; set; }

    /// <summary>A file holding the master key as base64. Used when no key is given; else &lt;DataDir&gt;/master.key, generated on first start.</summary>
    public string? MasterKeyFile { get; set; }

    /// <summary>How many versions of a secret are kept; older ones are destroyed.</summary>
    public int KeepVersions { get; set; } = 10;

    /// <summary>How long a deleted secret can be restored.</summary>
    public TimeSpan RecoveryWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Shortest value accepted. The redactor cannot mask short values without mangling ordinary text (a 3-character
    /// secret would turn every occurrence of those 3 characters into ***), so shorter values are refused.
    /// </summary>
    public int MinimumValueLength { get; set; } = 8;

    /// <summary>Largest value accepted, in UTF-8 bytes.</summary>
    public int MaxValueBytes { get; set; } = 64 * 1024;
}
