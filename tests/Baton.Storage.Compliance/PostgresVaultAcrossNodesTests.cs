using Baton.Secrets;
using Baton.Secrets.Redaction;
using Baton.Secrets.Service;
using Baton.Secrets.Store;
using Baton.Storage.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Baton.Storage.Compliance;

/// <summary>
/// Two vaults over one PostgreSQL database, as two nodes are, with no bus between them: what one node must do about
/// what another stored since it last loaded, whatever the timing of the message that would have told it.
/// </summary>
public sealed class PostgresVaultAcrossNodesTests : IAsyncLifetime
{
    private readonly string _masterKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    private readonly string _dataDir = Directory.CreateTempSubdirectory("baton-vault-nodes-").FullName;
    private readonly List<IAsyncDisposable> _open = [];
    private PostgresTestDatabase _server = null!;

    public async Task InitializeAsync() => _server = await PostgresTestDatabase.CreateAsync();

    public async Task DisposeAsync()
    {
        foreach (var open in _open) await open.DisposeAsync();
        await _server.DisposeAsync();
        Directory.Delete(_dataDir, recursive: true);
    }

    [Fact]
    public async Task A_version_another_node_stored_is_masked_here_before_this_node_hands_it_out()
    {
        var (a, _) = await NodeAsync();
        var (b, redactorB) = await NodeAsync();
        await a.PutAsync("api-token", SecretValue.FromString("first-value-1111"), null, null, "admin", default);
        await b.ReloadAsync(default);
        await a.PutAsync("api-token", SecretValue.FromString("second-value-2222"), null, null, "admin", default);

        // The run's first hand-off is on A and pins version 2; its next is on B, which has not heard of version 2.
        var first = new ResolutionContext("run-1", "task-1", "first", "admin");
        Assert.Equal("second-value-2222", (await a.ResolveAsync(["api-token"], first, default))["api-token"].Text);
        var second = await b.ResolveAsync(["api-token"], first with { TaskId = "task-2", TaskReferenceName = "second" }, default);

        Assert.Equal("second-value-2222", second["api-token"].Text); // the run keeps the version it pinned
        Assert.Equal("echoed: ***", redactorB.Redact("echoed: second-value-2222"));
    }

    private async Task<(SecretVault Vault, SecretRedactor Redactor)> NodeAsync()
    {
        var database = new PostgresDatabase(_server.ConnectionString);
        _open.Add(database);
        var redactor = new SecretRedactor();
        var vault = new SecretVault(new PostgresSecretRepository(database), new PostgresAuditLog(database), new PostgresRunManifestStore(database),
            redactor, new EveryoneMayUseEverything(), Options.Create(new SecretsOptions { MasterKey = _masterKey }), NullLogger<SecretVault>.Instance);
        await vault.InitializeAsync(_dataDir, default);
        return (vault, redactor);
    }

    private sealed class EveryoneMayUseEverything : ISecretUsePolicy
    {
        public string? UseRefusal(ResolutionContext context, string secret, IReadOnlyList<SecretTag> tags) => null;

        public string? WriteRefusal(string? principal, string secret, bool exists, IReadOnlyList<SecretTag> tags) => null;

        public Task SecretCreatedAsync(string principal, string secret, CancellationToken ct) => Task.CompletedTask;

        public Task SecretPurgedAsync(string secret, CancellationToken ct) => Task.CompletedTask;
    }
}
