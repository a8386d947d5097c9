using Baton.Storage.Sqlite;
using Microsoft.Extensions.Options;

namespace Baton.Server.Hosting;

/// <summary>
/// Starts Baton's own hosted services (the secrets host, then the engine) only once the listener is bound. The host
/// starts hosted services before the web server, so a port already in use would otherwise be found after the first
/// start had written the administrator's credentials, a master key and the database into the data folder. Here the
/// host runs <see cref="StartedAsync"/> after every StartAsync, the web server's included: nothing reaches the data
/// folder before the port is ours. Requests that come in meanwhile wait at <see cref="StartingGateMiddleware"/>.
/// </summary>
public sealed class StartAfterListening(
    IServiceProvider services,
    DeferredHostedServices deferred,
    IOptions<ServerOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<StartAfterListening> logger) : IHostedLifecycleService
{
    private readonly List<IHostedService> _started = [];

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        var dataDir = Path.GetFullPath(options.Value.DataDir, Environment.CurrentDirectory);
        PrepareDataFolder(dataDir);
        logger.LogInformation("Baton data folder: {DataDir}", dataDir);
        foreach (var type in deferred.Types)
        {
            var service = (IHostedService)services.GetRequiredService(type);
            await service.StartAsync(cancellationToken);
            _started.Add(service);
            if (service is BackgroundService { ExecuteTask: { } running }) _ = StopServerWhenItFailsAsync(type, running);
        }
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        for (var i = _started.Count - 1; i >= 0; i--)
        {
            try
            {
                await _started[i].StopAsync(cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Stopping {Service} failed", _started[i].GetType().Name);
            }
        }
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The data folder is owner-only (0700) and so is everything in it (0600), older files included.</summary>
    private static void PrepareDataFolder(string dataDir)
    {
        PrivateFiles.CreateOrRestrictFolder(dataDir);
        foreach (var file in Directory.EnumerateFiles(dataDir)) PrivateFiles.Restrict(file);
    }

    /// <summary>What the host does for the background services it starts itself: a failure is logged and stops the server.</summary>
    private async Task StopServerWhenItFailsAsync(Type type, Task running)
    {
        try
        {
            await running;
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
        catch (Exception e)
        {
            logger.LogCritical(e, "{Service} failed; the server stops", type.Name);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }
}
