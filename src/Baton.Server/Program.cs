using Baton.Server.Hosting;

WebApplication? app = null;
try
{
    app = BatonServer.Build(args);
    await app.StartAsync();
}
catch (Exception e)
{
    // The port is taken, a setting is malformed, the master key is wrong...: one line saying what and what to do,
    // no stack trace. Nothing was written to the data folder if the listener could not be bound.
    var failure = StartupFailure.Of(e);
    await Console.Error.WriteLineAsync($"Baton cannot start: {failure.Message}");
    return failure.ExitCode;
}
await app.WaitForShutdownAsync();
await app.DisposeAsync();
return Environment.ExitCode;
