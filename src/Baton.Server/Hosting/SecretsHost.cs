using Baton.Secrets.Service;
using Microsoft.Extensions.Options;

namespace Baton.Server.Hosting;

/// <summary>
/// Opens the vault before the engine starts (registered first, so recovery can resolve secrets), and purges
/// deleted secrets whose recovery window has passed, hourly.
/// </summary>
public sealed class SecretsHost(SecretVault vault, IOptions<ServerOptions> options, ILogger<SecretsHost> logger) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await vault.InitializeAsync(Path.GetFullPath(options.Value.DataDir, Environment.CurrentDirectory), cancellationToken);
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
