using Baton.Engine.Persistence;

namespace Baton.Storage.Compliance;

/// <summary>One open connection to a provider's database: the two stores, and what closes them.</summary>
/// <param name="Lifetime">Disposing it closes the database; what was acknowledged must stay in it.</param>
public sealed record StoreSession(IMetadataStore Metadata, IExecutionStore Executions, IAsyncDisposable Lifetime);
