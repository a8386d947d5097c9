using Baton.Access.Service;
using Baton.Engine.Cluster;
using Baton.Engine.Environment;
using Baton.Engine.Execution;
using Baton.Secrets.Service;

namespace Baton.Server.Hosting;

/// <summary>
/// Keeps the models every node holds in memory true when several nodes share one store: the task definitions
/// (<see cref="DefinitionCatalog"/>), the secrets (<see cref="SecretVault"/>: keyring, current versions, tags, live
/// values and so the redactor), the access model (<see cref="AccessControl"/>) and the environment values. A change
/// through one of them here is told to the other nodes as <see cref="ClusterMessage.ModelChanged"/> naming the model,
/// never what changed (no name, no value); a node hearing it loads that model again from the store, and on
/// <see cref="ClusterMessage.Resync"/> all four. Reloads of one model run one at a time, and a burst of messages during
/// one makes one more, not one each. On one node (<see cref="IClusterBus.IsShared"/> false) it does nothing.
/// <para>
/// Started after the secrets host and the engine (which load the models first); it then loads every model once, so a
/// change another node made between those loads and this subscription is not missed.
/// </para>
/// </summary>
public sealed partial class ClusterModels : IHostedService, IDisposable
{
    private readonly IClusterBus _bus;
    private readonly SecretVault _vault;
    private readonly AccessControl _access;
    private readonly DefinitionCatalog _definitions;
    private readonly EnvironmentValues _environment;
    private readonly NodeEventTriggers _triggers;
    private readonly ILogger<ClusterModels> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Dictionary<string, Reloader> _reloaders;

    public ClusterModels(IClusterBus bus, SecretVault vault, AccessControl access, DefinitionCatalog definitions, EnvironmentValues environment,
        NodeEventTriggers triggers, ILogger<ClusterModels> logger)
    {
        _triggers = triggers;
        _bus = bus;
        _vault = vault;
        _access = access;
        _definitions = definitions;
        _environment = environment;
        _logger = logger;
        _reloaders = new(StringComparer.Ordinal)
        {
            [ClusterMessage.ModelDefinitions] = new(ClusterMessage.ModelDefinitions, async ct =>
            {
                await definitions.ReloadTaskDefsAsync(ct);
                triggers.Forget(); // a node workflow saved elsewhere may have an event trigger: the index is built again
            }, this),
            [ClusterMessage.ModelSecrets] = new(ClusterMessage.ModelSecrets, vault.ReloadAsync, this),
            [ClusterMessage.ModelAccess] = new(ClusterMessage.ModelAccess, access.ReloadAsync, this),
            [ClusterMessage.ModelEnvironment] = new(ClusterMessage.ModelEnvironment, environment.LoadAsync, this),
        };
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_bus.IsShared) return Task.CompletedTask;
        _definitions.TaskDefsChanged += DefinitionsChanged;
        _triggers.Changed += DefinitionsChanged;
        _vault.Changed += SecretsChanged;
        _access.Changed += AccessChanged;
        _environment.Changed += EnvironmentChanged;
        _bus.Received += OnReceived;
        foreach (var reloader in _reloaders.Values) reloader.Request();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!_bus.IsShared) return;
        _bus.Received -= OnReceived;
        _definitions.TaskDefsChanged -= DefinitionsChanged;
        _triggers.Changed -= DefinitionsChanged;
        _vault.Changed -= SecretsChanged;
        _access.Changed -= AccessChanged;
        _environment.Changed -= EnvironmentChanged;
        await _stopping.CancelAsync();
        foreach (var reloader in _reloaders.Values) await reloader.IdleAsync();
    }

    private void DefinitionsChanged() => Publish(ClusterMessage.ModelDefinitions);

    private void SecretsChanged() => Publish(ClusterMessage.ModelSecrets);

    private void AccessChanged() => Publish(ClusterMessage.ModelAccess);

    private void EnvironmentChanged() => Publish(ClusterMessage.ModelEnvironment);

    private void Publish(string model) => _bus.Publish(new ClusterMessage { Kind = ClusterMessage.ModelChanged, Model = model });

    private void OnReceived(ClusterMessage message)
    {
        switch (message.Kind)
        {
            case ClusterMessage.ModelChanged when message.Model is { } model && _reloaders.TryGetValue(model, out var reloader):
                reloader.Request();
                break;
            case ClusterMessage.Resync:
                foreach (var each in _reloaders.Values) each.Request();
                break;
        }
    }

    public void Dispose() => _stopping.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reloading the {Model} model failed ({Reason}); trying again")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception, string model, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reloaded the {Model} model after {Failures} failed attempts")]
    private static partial void LogReloadRecovered(ILogger logger, string model, int failures);

    /// <summary>
    /// One model's reloads: one at a time; a request while one runs makes exactly one more after it. A failed reload
    /// (PostgreSQL away) is tried again with a growing pause, logged once per run of failures.
    /// </summary>
    private sealed class Reloader(string model, Func<CancellationToken, Task> reload, ClusterModels owner)
    {
        private int _asked;
        private int _running;
        private Task _loop = Task.CompletedTask;

        public void Request()
        {
            Volatile.Write(ref _asked, 1);
            if (Interlocked.CompareExchange(ref _running, 1, 0) == 0) _loop = Task.Run(LoopAsync);
        }

        public async Task IdleAsync()
        {
            try
            {
                await _loop;
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }
        }

        private async Task LoopAsync()
        {
            var ct = owner._stopping.Token;
            var failures = 0;
            while (true)
            {
                while (Interlocked.Exchange(ref _asked, 0) == 1 && !ct.IsCancellationRequested)
                {
                    try
                    {
                        await reload(ct);
                        if (failures > 0) LogReloadRecovered(owner._logger, model, failures);
                        failures = 0;
                    }
                    catch (OperationCanceledException) when (ct.IsCancellationRequested)
                    {
                        break;
                    }
                    catch (Exception e)
                    {
                        if (failures++ == 0) LogReloadFailed(owner._logger, e, model, e.GetType().Name);
                        Volatile.Write(ref _asked, 1);
                        try
                        {
                            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 250 * (1 << Math.Min(failures, 5)))), ct);
                        }
                        catch (OperationCanceledException)
                        {
                            break;
                        }
                    }
                }
                Volatile.Write(ref _running, 0);
                // A request that came after the last check but before the flag went down would otherwise wait for the next one.
                if (ct.IsCancellationRequested || Volatile.Read(ref _asked) == 0 || Interlocked.CompareExchange(ref _running, 1, 0) != 0) return;
            }
        }
    }
}
