using Baton.Access.Service;
using Baton.Secrets.Service;
using Microsoft.Extensions.Options;

namespace Baton.Server.Hosting;

/// <summary>
/// Loads the access model and opens the vault before the engine starts (registered first, so recovery can check
/// permissions and resolve secrets), and purges deleted secrets whose recovery window has passed, hourly.
/// </summary>
public sealed class SecretsHost(AccessControl access, SecretVault vault, IOptions<ServerOptions> options, ILogger<SecretsHost> logger) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var dataDir = Path.GetFullPath(options.Value.DataDir, Environment.CurrentDirectory);
        await access.InitializeAsync(dataDir, cancellationToken);
        await vault.InitializeAsync(dataDir, cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1));
        do
        {
            try
            {
                await vault.PurgeExpiredAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Purging expired deleted secrets failed");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
