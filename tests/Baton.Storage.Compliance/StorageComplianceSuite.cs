using Baton.Access.Store;
using Baton.Engine.Persistence;
using Baton.Secrets.Audit;
using Baton.Secrets.Store;

namespace Baton.Storage.Compliance;

/// <summary>
/// The behaviour every storage provider owes the engine, written once. A provider subclasses it, says how to make a
/// fresh empty database and how to open the same one again, and inherits every test. Each test gets its own database.
/// </summary>
public abstract partial class StorageComplianceSuite : IAsyncLifetime
{
    private StoreSession? _session;

    protected IMetadataStore Metadata => Session.Metadata;
    protected IExecutionStore Executions => Session.Executions;
    protected ISecretRepository Secrets => Session.Secrets;
    protected IAuditLog Audit => Session.Audit;
    protected IRunManifestStore Manifests => Session.Manifests;
    protected IEnvironmentStore EnvironmentValues => Session.EnvironmentValues;
    protected IScheduleStore Schedules => Session.Schedules;
    protected ISignInFailureStore SignInFailures => Session.SignInFailures;

    private StoreSession Session => _session ?? throw new InvalidOperationException("The store is not open.");

    /// <summary>Creates a fresh, empty database and opens it. Called once per test.</summary>
    protected abstract Task<StoreSession> CreateStoresAsync();

    /// <summary>
    /// Opens again the database <see cref="CreateStoresAsync"/> made. The suite has already closed the previous
    /// session, so only what reached the database can be read back.
    /// </summary>
    protected abstract Task<StoreSession> ReopenAsync();

    /// <summary>Deletes the database once the last session is closed.</summary>
    protected abstract Task DropStoresAsync();

    /// <summary>
    /// Whether <paramref name="bytes"/> occur anywhere in what the provider keeps at rest (data files, logs, free
    /// space): proves an erased ciphertext is really gone, not merely hidden. Called right after a reopen.
    /// </summary>
    protected abstract Task<bool> StorageAtRestContainsAsync(byte[] bytes);

    /// <summary>Closes the database and opens it again: proves an acknowledged write is durable, not just cached.</summary>
    protected async Task ReopenStoresAsync()
    {
        await Session.Lifetime.DisposeAsync();
        _session = null;
        _session = await ReopenAsync();
    }

    public async Task InitializeAsync() => _session = await CreateStoresAsync();

    public async Task DisposeAsync()
    {
        if (_session is not null) await _session.Lifetime.DisposeAsync();
        _session = null;
        await DropStoresAsync();
    }
}
