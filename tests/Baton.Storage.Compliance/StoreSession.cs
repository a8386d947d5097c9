using Baton.Access.Store;
using Baton.Engine.Persistence;
using Baton.Secrets.Audit;
using Baton.Secrets.Store;

namespace Baton.Storage.Compliance;

/// <summary>One open connection to a provider's database: its stores, and what closes them.</summary>
/// <param name="Lifetime">Disposing it closes the database; what was acknowledged must stay in it.</param>
public sealed record StoreSession(
    IMetadataStore Metadata,
    IExecutionStore Executions,
    ISecretRepository Secrets,
    IAuditLog Audit,
    IRunManifestStore Manifests,
    IEnvironmentStore EnvironmentValues,
    IScheduleStore Schedules,
    ISignInFailureStore SignInFailures,
    IAsyncDisposable Lifetime);
