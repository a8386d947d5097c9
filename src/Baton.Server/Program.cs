using Baton.Secrets.Service;
using Baton.Server.Hosting;

try
{
    await BatonServer.Build(args).RunAsync();
    return 0;
}
catch (SecretsStartupException e)
{
    // A wrong or unreadable master key: say which key was expected and stop, rather than serve garbage.
    await Console.Error.WriteLineAsync($"Baton cannot start: {e.Message}");
    return 2;
}
