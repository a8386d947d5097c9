using System.Collections.Concurrent;
using Baton.Canaries.Canaries;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Baton.Console.Tests;

/// <summary>
/// Debian's Chromium driven by Playwright (never a downloaded browser), with every network response's body kept so a
/// test can scan every byte the console sent, and each visited page checked with axe-core and saved as a screenshot.
/// </summary>
public sealed class BrowserSession : IAsyncDisposable
{
    /// <summary>Where Debian installs Chromium; scripts/test.sh installs the package when it is missing.</summary>
    public const string Chromium = "/usr/bin/chromium";

    private static readonly string[] Arguments =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly ConcurrentQueue<(string Url, byte[] Body)> _responses = new();
    private readonly ConcurrentQueue<Task> _reading = new();

    private BrowserSession(IPlaywright playwright, IBrowser browser, IBrowserContext context, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        Context = context;
        Page = page;
        page.Response += (_, response) => _reading.Enqueue(KeepAsync(response));
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    /// <summary>Where screenshots go: a folder beside the test assembly, kept as the run's artefacts.</summary>
    public static string ScreenshotFolder { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public static async Task<BrowserSession> StartAsync(string baseUrl)
    {
        if (!File.Exists(Chromium))
        {
            throw new InvalidOperationException($"{Chromium} is missing: run scripts/test.sh (it installs Debian's chromium) or apt-get install -y chromium.");
        }
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true, Args = Arguments });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUrl, ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        return new BrowserSession(playwright, browser, context, await context.NewPageAsync());
    }

    private async Task KeepAsync(IResponse response)
    {
        try
        {
            _responses.Enqueue((response.Url, await response.BodyAsync()));
        }
        catch (PlaywrightException)
        {
            // A redirect has no body, and a response of a page already left may be gone.
        }
    }

    public async Task SignInAsync(string email, string password)
    {
        await Page.GotoAsync("/console");
        await Page.GetByLabel("Email (or access key id)").FillAsync(email);
        await Page.GetByLabel("Password (or access key secret)").FillAsync(password);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Page.WaitForURLAsync("**/console");
    }

    /// <summary>
    /// Checks the page in front: no serious or critical axe-core violation, and none of <paramref name="values"/> in its
    /// DOM text or HTML in any encoding the canary suite knows; then saves a screenshot named <paramref name="name"/>.
    /// </summary>
    public async Task CheckPageAsync(string name, IReadOnlyList<string> values)
    {
        var axe = await Page.RunAxe();
        var severe = axe.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(severe.Count == 0, $"{name}: " + string.Join("; ", severe.Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target))}")));
        var html = await Page.ContentAsync();
        var text = await Page.InnerTextAsync("body");
        foreach (var value in values)
        {
            foreach (var (encoding, bytes) in CanaryForms.Encodings(value))
            {
                var form = System.Text.Encoding.UTF8.GetString(bytes);
                Assert.False(html.Contains(form, StringComparison.Ordinal), $"{name}: the page's HTML holds a value ({encoding})");
                Assert.False(text.Contains(form, StringComparison.Ordinal), $"{name}: the page's text holds a value ({encoding})");
            }
        }
        Directory.CreateDirectory(ScreenshotFolder);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, name + ".png"), FullPage = true });
    }

    /// <summary>Every response body the browser received so far, scanned for every encoding of each value.</summary>
    public async Task AssertNoResponseHoldsAsync(IReadOnlyList<string> values)
    {
        while (_reading.TryDequeue(out var reading)) await reading;
        Assert.NotEmpty(_responses);
        foreach (var (url, body) in _responses)
        {
            foreach (var value in values)
            {
                foreach (var (encoding, bytes) in CanaryForms.Encodings(value))
                {
                    Assert.False(body.AsSpan().IndexOf(bytes) >= 0, $"the response of {url} holds a value ({encoding})");
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Context.DisposeAsync();
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
