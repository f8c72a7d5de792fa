using System.Globalization;
using PipeChat.LoadTests.Reports;

namespace PipeChat.LoadTests.Compare;

/// <summary>
/// How <c>compare --rounds N</c> orders its runs and picks the row a cell shows: each round runs
/// the models rotated by one more place (round 1: A B C, round 2: B C A, round 3: C A B), so no
/// model always runs first; a cell shows its median round by the scenario's main rate among the
/// rounds that completed (the lower of the two middle ones for an even count), the min–max of that
/// rate over those rounds, and how many rounds failed and why.
/// </summary>
public static class CompareRounds
{
    /// <summary>The fewest rounds.</summary>
    public const int MinRounds = 1;

    /// <summary>The most rounds.</summary>
    public const int MaxRounds = 20;

    /// <summary>The order of <paramref name="models"/> in round <paramref name="round"/> (1-based): rotated left by <c>round - 1</c>.</summary>
    public static IReadOnlyList<T> Order<T>(IReadOnlyList<T> models, int round)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentOutOfRangeException.ThrowIfLessThan(round, 1);
        int n = models.Count;
        return n == 0 ? [] : [.. Enumerable.Range(0, n).Select(i => models[(i + round - 1) % n])];
    }

    /// <summary>
    /// The rotation in words for the report's settings, e.g. <c>round 1: a, b; round 2: b, a</c>
    /// (at most as many rounds as models, and three, spelled out).
    /// </summary>
    public static string RotationText(IReadOnlyList<string> models, int rounds)
    {
        ArgumentNullException.ThrowIfNull(models);
        int spelled = Math.Min(rounds, Math.Max(1, Math.Min(models.Count, 3)));
        var shown = Enumerable.Range(1, spelled)
            .Select(r => string.Create(CultureInfo.InvariantCulture, $"round {r}: {string.Join(", ", Order(models, r))}"));
        return string.Join("; ", shown) + (rounds > spelled ? "; …" : string.Empty);
    }

    /// <summary>
    /// Picks the round to show among <paramref name="outcomes"/> (in round order): the median by
    /// rate of the completed ones (ties broken by the earlier round; for an even count the lower
    /// middle), or, when none completed, the first failed round.
    /// </summary>
    public static RoundsChoice Choose(IReadOnlyList<RoundOutcome> outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        if (outcomes.Count == 0)
        {
            throw new ArgumentException("no rounds to choose from", nameof(outcomes));
        }

        var completed = outcomes.Where(o => o.Failure is null).OrderBy(o => o.Rate).ThenBy(o => o.Round).ToArray();
        var failed = outcomes.Where(o => o.Failure is not null).OrderBy(o => o.Round).ToArray();
        string? firstFailure = failed.Length == 0 ? null : string.Create(CultureInfo.InvariantCulture, $"round {failed[0].Round}: {failed[0].Failure}");
        if (completed.Length == 0)
        {
            return new RoundsChoice(failed[0].Round, outcomes.Count, 0, null, null, firstFailure);
        }

        var median = completed[(completed.Length - 1) / 2];
        return new RoundsChoice(median.Round, outcomes.Count, completed.Length, completed[0].Rate, completed[^1].Rate, firstFailure);
    }

    /// <summary>Why a round of a cell does not count as completed (no result, an error, failed requests or starved connections), or null.</summary>
    public static string? FailureOf(CompareRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return row.Error ?? (row.Stats is not { } s ? "no result" : ResultNotes.Warning(s));
    }

    /// <summary>
    /// One row for a cell run in several rounds (<paramref name="rounds"/> in round order, round 1
    /// first): the chosen round's row, whole, with <see cref="CompareRow.Rounds"/> saying what the
    /// rounds did (also for one round, e.g. when a compare of several rounds was interrupted; a
    /// compare of one round reports its rows without it).
    /// </summary>
    public static CompareRow Summarize(IReadOnlyList<CompareRow> rounds)
    {
        ArgumentNullException.ThrowIfNull(rounds);
        var outcomes = rounds.Select((r, i) => new RoundOutcome(i + 1, r.Stats?.Rps ?? 0, FailureOf(r))).ToArray();
        var choice = Choose(outcomes);
        var rates = rounds.Select(r => r.Stats?.Rps).ToArray();
        int errors = rounds.Count(r => r.Error is not null);
        int broken = rounds.Count(r => r.Thresholds.Any(t => !t.Passed));
        return rounds[choice.Round - 1] with { Rounds = new CompareRoundsInfo(choice, rates, [.. outcomes.Select(o => o.Failure is null)], errors, broken) };
    }

    /// <summary>
    /// Gets a value indicating whether a row lets the compare exit 0: no error and no broken
    /// threshold in the row, nor in any round behind it.
    /// </summary>
    public static bool Passed(CompareRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return row.Error is null && row.Thresholds.All(t => t.Passed) && row.Rounds is not ({ ErrorRounds: > 0 } or { ThresholdBrokenRounds: > 0 });
    }
}

/// <summary>One round of a cell: its number (1-based), its main rate, why it failed (null: completed).</summary>
public readonly record struct RoundOutcome(int Round, double Rate, string? Failure);

/// <summary>
/// What <see cref="CompareRounds.Choose"/> picked: the round shown, how many ran and completed,
/// the min and max of the main rate over the completed ones, and the first failure
/// (<c>round N: reason</c>).
/// </summary>
public sealed record RoundsChoice(int Round, int Total, int Completed, double? MinRate, double? MaxRate, string? FirstFailure)
{
    /// <summary>How many rounds failed: every round either completed or failed.</summary>
    public int Failed => Total - Completed;
}

/// <summary>
/// The rounds behind a compare row run more than once: the choice, each round's main rate (null:
/// no result) and whether it completed, how many rounds had an error and how many a broken
/// threshold (any such round makes the compare exit 1).
/// </summary>
public sealed record CompareRoundsInfo(RoundsChoice Choice, IReadOnlyList<double?> Rates, IReadOnlyList<bool> CompletedRounds, int ErrorRounds, int ThresholdBrokenRounds);
