namespace Baton.Storage.Sqlite;

/// <summary>Settings of the embedded store (configuration section <c>Baton:Storage:Sqlite</c>).</summary>
public sealed class SqliteOptions
{
    /// <summary>The database file. Default: <c>baton.db</c> in the data folder.</summary>
    public string? Path { get; set; }

    /// <summary>
    /// SQLite's synchronous setting: FULL (default) fsyncs the log at every commit, so a committed change survives
    /// a power cut; NORMAL survives a killed process but not a power cut.
    /// </summary>
    public string Synchronous { get; set; } = "FULL";

    /// <summary>Most changes written in one transaction by the group-commit writer.</summary>
    public int MaxBatch { get; set; } = 512;
}
