using Baton.Access.Model;
using Baton.Access.Service;
using Baton.Engine.Environment;
using Baton.Secrets.Service;

namespace Baton.Server.Auth;

/// <summary>The tags a resource carries now, for tag grants: secrets, environment values and applications have tags.</summary>
public sealed class ResourceTags(SecretVault vault, EnvironmentValues environment, AccessControl access)
{
    public async ValueTask<IReadOnlyList<ResourceTag>> OfAsync(Target target, CancellationToken ct) => target.Type switch
    {
        TargetTypes.SecretName => AccessControl.ToResourceTags(vault.TagsOf(target.Id)),
        TargetTypes.EnvVariable => await environment.GetAsync(target.Id, ct) is { } value ? AccessControl.ToResourceTags(value.Tags) : [],
        TargetTypes.Application => access.Model.Applications.GetValueOrDefault(target.Id)?.Tags ?? [],
        _ => [],
    };
}
