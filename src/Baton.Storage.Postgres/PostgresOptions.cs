namespace Baton.Storage.Postgres;

/// <summary>Settings of the shared store (configuration section <c>Baton:Storage:Postgres</c>).</summary>
public sealed class PostgresOptions
{
    /// <summary>An Npgsql connection string, e.g. <c>Host=db;Port=5432;Username=baton;Password=...;Database=baton</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Most connections this node opens at once.</summary>
    public int MaxPoolSize { get; set; } = 50;

    /// <summary>
    /// Temporary and undocumented: lets a second node start on the same database (no node lock). Only for the tests
    /// of the cluster bus until the engine runs several nodes; the engine still coordinates in one process.
    /// </summary>
    public bool AllowSeveralNodes { get; set; }

    /// <summary>The problem with these settings, in words a person can act on; null when there is none.</summary>
    public static string? Problem(PostgresOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return "the setting Baton:Storage:Provider is 'postgres' but Baton:Storage:Postgres:ConnectionString is empty; " +
                "set it (e.g. Host=127.0.0.1;Port=5432;Username=baton;Database=baton).";
        }
        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(options.ConnectionString);
        }
        catch (ArgumentException e)
        {
            // The message names the keyword, never the value (a connection string may carry a password).
            return $"the setting Baton:Storage:Postgres:ConnectionString is not a valid connection string: {e.Message}";
        }
        return options.MaxPoolSize < 1 ? $"the setting Baton:Storage:Postgres:MaxPoolSize is {options.MaxPoolSize}; it must be at least 1 (default 50)." : null;
    }
}
