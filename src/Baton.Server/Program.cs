using Baton.Server.Hosting;

await BatonServer.Build(args).RunAsync();
