using Baton.Server.Api;
using Baton.Server.Auth;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Baton.Server.Hosting;

/// <summary>
/// What the OpenAPI document says beyond the routes: the <c>X-Authorization</c> scheme (so the API page can send a
/// token), which operations need it (every route but the public ones), the error answers every operation may give
/// with their shape, a schema for every success answer, and the few endpoints whose answers carry secret values.
/// </summary>
public static class OpenApiConventions
{
    public const string SchemeName = "X-Authorization";

    public static void Configure(OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Baton";
            document.Info.Description =
                "A Conductor-compatible workflow server whose first-class feature is secrets used inside workflows. " +
                "Sign in with POST /api/token (email and password, or an application's keyId and keySecret) and send the token as X-Authorization.";
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = SchemeName,
                Description = "The token POST /api/token answers (Authorization: Bearer <token> works too).",
            };
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            // The few endpoints whose answers carry secret values on purpose say so in the document, so a test
            // can hold that list fixed and sweep every other route for leaks.
            if (metadata.OfType<SecretValueResponse>().Any())
            {
                operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
                operation.Extensions["x-baton-secret-values"] = new JsonNodeExtension(System.Text.Json.Nodes.JsonValue.Create(true));
            }
            operation.Responses ??= [];
            foreach (var (code, response) in operation.Responses.ToList())
            {
                // A success answer declared without a body shape (a handler answering JSON it builds, or nothing):
                // say so, rather than leave the client guessing.
                if (code.StartsWith('2') && response is OpenApiResponse { Content: null or { Count: 0 } } plain && code != "204")
                {
                    plain.Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/json"] = new() { Schema = new OpenApiSchema { Description = "JSON as the operation's summary describes, or an empty body" } },
                    };
                }
            }
            var isPublic = metadata.OfType<AccessRule>().FirstOrDefault()?.IsPublic == true;
            if (!isPublic)
            {
                operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, context.Document)] = [] }];
                Error(operation, "401", "No token, or an invalid or expired one (error INVALID_TOKEN or EXPIRED_TOKEN)");
                Error(operation, "403", "The caller lacks the access the message names");
            }
            Error(operation, "400", "Invalid input: every problem with its JSON path");
            Error(operation, "404", "Not found");
            Error(operation, "500", "An unexpected error, logged under the request id the message names");
            return Task.CompletedTask;
        });
    }

    private static void Error(OpenApiOperation operation, string code, string description)
    {
        if (operation.Responses!.ContainsKey(code)) return;
        operation.Responses[code] = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = ErrorSchema() } },
        };
    }

    /// <summary>The shape of <see cref="ErrorResponse"/>.</summary>
    private static OpenApiSchema ErrorSchema() => new()
    {
        Type = JsonSchemaType.Object,
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
            ["message"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["retryable"] = new OpenApiSchema { Type = JsonSchemaType.Boolean },
            ["validationErrors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Array,
                Items = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        ["path"] = new OpenApiSchema { Type = JsonSchemaType.String },
                        ["message"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    },
                },
            },
        },
    };
}
