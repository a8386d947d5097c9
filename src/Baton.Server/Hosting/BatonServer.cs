using System.Text.Json.Serialization;
using Baton.Access;
using Baton.Access.Service;
using Baton.Access.Tokens;
using Baton.Core.Json;
using Baton.Kafka;
using Baton.Engine;
using Baton.Engine.Hosting;
using Baton.Engine.Scheduling;
using Baton.Secrets;
using Baton.Secrets.Redaction;
using Baton.Secrets.Service;
using Baton.Server.Api;
using Baton.Server.Auth;
using Baton.Server.Console;
using Baton.Server.Redaction;
using Baton.Storage.Postgres;
using Baton.Storage.Sqlite;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Scalar.AspNetCore;

namespace Baton.Server.Hosting;

/// <summary>Builds the server: configuration, storage, engine, the HTTP pipeline and the API.</summary>
public static class BatonServer
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        // One redactor for the whole process, created first so that the log can use it from the first line.
        var redactor = new SecretRedactor(new RedactionOptions
        {
            MinimumLength = builder.Configuration.GetValue("Baton:Secrets:MinimumValueLength", 8),
        });
        builder.Services.AddSingleton(redactor);
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new RedactingLoggerProvider(redactor, System.Console.Out));
        // The host logs a failed start with its stack trace; Program reports it in one line instead.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);

        var serverOptions = builder.Configuration.GetSection("Baton").Get<ServerOptions>() ?? new ServerOptions();
        // Every section is bound once here, so a malformed setting stops the start before anything is bound or written.
        if (builder.Configuration.GetSection("Baton:Engine").Get<EngineOptions>() is { HttpMaxConnectionsPerPeer: < 1 } engine)
        {
            throw new ArgumentException($"the setting Baton:Engine:HttpMaxConnectionsPerPeer is {engine.HttpMaxConnectionsPerPeer}; it must be at least 1 (default 64).");
        }
        _ = builder.Configuration.GetSection("Baton:Secrets").Get<SecretsOptions>();
        _ = builder.Configuration.GetSection("Baton:Auth").Get<AccessOptions>();
        if (builder.Configuration.GetSection("Baton:Kafka").Get<KafkaOptions>() is { } kafkaOptions && KafkaOptions.Problem(kafkaOptions) is { } kafkaProblem)
        {
            throw new ArgumentException(kafkaProblem);
        }
        var trustedProxies = serverOptions.TrustedProxyNetworks();
        builder.Services.Configure<ServerOptions>(builder.Configuration.GetSection("Baton"));
        builder.Services.Configure<EngineOptions>(builder.Configuration.GetSection("Baton:Engine"));
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls(serverOptions.DefaultUrl);
        }
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = serverOptions.MaxRequestBodyBytes;
            k.AddServerHeader = false;
        });

        // Nothing is created here: the data folder is made (owner-only) after the listener is bound (StartAfterListening).
        var dataDir = Path.GetFullPath(serverOptions.DataDir, Environment.CurrentDirectory);
        AddStorage(builder, dataDir);
        builder.Services.Configure<SecretsOptions>(builder.Configuration.GetSection("Baton:Secrets"));
        builder.Services.Configure<AccessOptions>(builder.Configuration.GetSection("Baton:Auth"));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<AccessControl>();
#if BATON_BENCH_NO_AUTH
        builder.Services.AddSingleton<ISecretUsePolicy, BenchmarkAllowsEverySecretUse>();
        builder.Services.AddSingleton<Baton.Engine.Execution.IWorkflowStartPolicy, BenchmarkAllowsEveryStart>();
#else
        builder.Services.AddSingleton<Baton.Engine.Execution.IWorkflowStartPolicy, WorkflowStartPolicy>();
        builder.Services.AddSingleton<ISecretUsePolicy>(sp => sp.GetRequiredService<AccessControl>());
#endif
        builder.Services.AddSingleton(sp => new TokenService(sp.GetRequiredService<SecretVault>().PurposeKey(SecretVault.TokenSigningPurpose), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<SignIn>();
        builder.Services.AddSingleton<ResourceTags>();
        builder.Services.AddSingleton<RunAccess>();
        builder.Services.AddSingleton<SecretVault>();
        builder.Services.AddHostedService<SecretsHost>(); // before the engine: recovery may resolve secrets
        var kafka = builder.Configuration.GetSection("Baton:Kafka");
        builder.Services.Configure<KafkaOptions>(kafka);
        builder.Services.Configure<Baton.Engine.Tasks.KafkaPublish.KafkaBrokers>(kafka);
        builder.Services.AddBatonKafka(!string.IsNullOrWhiteSpace(kafka["BootstrapServers"]));
        builder.Services.AddBatonEngine();
        builder.Services.AddBatonScheduler(); // after the engine: the scheduler starts once the engine has recovered
        builder.Services.AddHostedService<ClusterModels>(); // after the secrets host and the engine, which load the models first
        builder.Services.AddSingleton<NodeEventTriggers>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<NodeEventTriggers>());
        builder.Services.AddHostedService<IdleMemoryTrim>();
        DeferredHostedServices.Defer(builder.Services);

        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase;
            o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, BatonJson.Context);
            o.SerializerOptions.TypeInfoResolverChain.Insert(1, ServerJsonContext.Default);
        });
        builder.Services.AddOpenApi(OpenApiConventions.Configure);
        builder.Services.AddBatonConsole();

        var app = builder.Build();
        if (trustedProxies.Count > 0)
        {
            // Only the proxies named: the defaults (loopback) are cleared, so nothing else can forge a client address.
            var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto, ForwardLimit = null };
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var network in trustedProxies) forwarded.KnownIPNetworks.Add(network);
            app.UseForwardedHeaders(forwarded);
        }
        app.UseMiddleware<ResponseRedactionMiddleware>();
        app.UseMiddleware<ApiErrorMiddleware>();
        app.UseMiddleware<StartingGateMiddleware>();
        app.UseMiddleware<RouteMismatchMiddleware>(); // 405 and 415 before any access rule
#if BATON_BENCH_NO_AUTH
        app.UseMiddleware<BenchmarkCallerMiddleware>();
#else
        app.UseMiddleware<AuthenticationMiddleware>();
        app.UseMiddleware<AuthorizationMiddleware>();
#endif
        app.UseAntiforgery(); // every console form; the API takes no forms

        app.MapOpenApi().WithMetadata(AccessRule.Public);
        app.MapScalarApiReference(o => o.WithTitle("Baton API").AddPreferredSecuritySchemes(OpenApiConventions.SchemeName)).WithMetadata(AccessRule.Public);
        app.MapHealthEndpoints();
        app.MapTokenEndpoints();
        app.MapAccessEndpoints();
        app.MapMetadataEndpoints();
        app.MapWorkflowEndpoints();
        app.MapTaskEndpoints();
        app.MapSecretEndpoints();
        app.MapEnvironmentEndpoints();
        app.MapAuditEndpoints();
        app.MapSchedulerEndpoints();
        app.MapNodeWorkflowEndpoints();
        app.MapNodeRunEndpoints();
        app.MapPortSecretEndpoints();
        app.MapBatonConsole();
        return app;
    }

    /// <summary>
    /// The store <c>Baton:Storage:Provider</c> names: <c>sqlite</c> (the default: one file in the data folder) or
    /// <c>postgres</c> (a server of its own, <c>Baton:Storage:Postgres</c>). A wrong setting stops the start, named.
    /// </summary>
    private static void AddStorage(WebApplicationBuilder builder, string dataDir)
    {
        var provider = builder.Configuration["Baton:Storage:Provider"] ?? "sqlite";
        switch (provider.ToLowerInvariant())
        {
            case "sqlite":
                var sqlite = builder.Configuration.GetSection("Baton:Storage:Sqlite").Get<SqliteOptions>() ?? new SqliteOptions();
                builder.Services.AddBatonSqliteStorage(sqlite.Path ?? Path.Combine(dataDir, "baton.db"), sqlite);
                builder.Services.TryAddSingleton<Baton.Engine.Cluster.IClusterBus, Baton.Engine.Cluster.SingleNode>();
                break;
            case "postgres" or "postgresql":
                var postgres = builder.Configuration.GetSection("Baton:Storage:Postgres").Get<PostgresOptions>() ?? new PostgresOptions();
                if (PostgresOptions.Problem(postgres) is { } problem) throw new ArgumentException(problem);
                builder.Services.AddBatonPostgresStorage(postgres);
                break;
            default:
                throw new ArgumentException($"the setting Baton:Storage:Provider is '{provider}'; use sqlite (the default) or postgres.");
        }
    }
}
