using System.Globalization;

namespace PipeChat.LoadTests.Harness;

/// <summary>The four NBomber-style load shapes.</summary>
public enum LoadSimulationKind
{
    /// <summary>Closed model: a fixed number of copies run the step in a loop.</summary>
    KeepConstant,

    /// <summary>Closed model: copies change linearly from the previous value to the target.</summary>
    RampingConstant,

    /// <summary>Open model: a fixed number of requests per interval, independent of responses.</summary>
    Inject,

    /// <summary>Open model: the injection rate changes linearly from the previous rate to the target.</summary>
    RampingInject,
}

/// <summary>
/// One phase of load. Closed phases (<see cref="LoadSimulationKind.KeepConstant"/>,
/// <see cref="LoadSimulationKind.RampingConstant"/>) set how many copies loop over the step;
/// open phases (<see cref="LoadSimulationKind.Inject"/>, <see cref="LoadSimulationKind.RampingInject"/>)
/// set how many requests start per <see cref="Interval"/>, whatever the responses do.
/// </summary>
public sealed record LoadSimulation
{
    private LoadSimulation(LoadSimulationKind kind, int copies, int rate, TimeSpan interval, TimeSpan during)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(copies);
        ArgumentOutOfRangeException.ThrowIfNegative(rate);
        if (during <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(during), during, "duration must be positive");
        }

        Kind = kind;
        Copies = copies;
        Rate = rate;
        Interval = interval;
        During = during;
    }

    /// <summary>Gets the shape.</summary>
    public LoadSimulationKind Kind { get; }

    /// <summary>Gets the target number of copies (closed model).</summary>
    public int Copies { get; }

    /// <summary>Gets the target number of requests per <see cref="Interval"/> (open model).</summary>
    public int Rate { get; }

    /// <summary>Gets the injection interval (open model).</summary>
    public TimeSpan Interval { get; }

    /// <summary>Gets how long the phase lasts.</summary>
    public TimeSpan During { get; }

    /// <summary>Gets a value indicating whether this is an open-model (inject) phase.</summary>
    public bool IsOpenModel => Kind is LoadSimulationKind.Inject or LoadSimulationKind.RampingInject;

    /// <summary>Gets a value indicating whether the phase ramps from the previous value.</summary>
    public bool IsRamping => Kind is LoadSimulationKind.RampingConstant or LoadSimulationKind.RampingInject;

    /// <summary>Gets the target rate in requests per second (open model).</summary>
    public double RatePerSecond => IsOpenModel ? Rate / Interval.TotalSeconds : 0;

    /// <summary>Keeps <paramref name="copies"/> copies running for <paramref name="during"/>.</summary>
    public static LoadSimulation KeepConstant(int copies, TimeSpan during) =>
        new(LoadSimulationKind.KeepConstant, copies, 0, TimeSpan.Zero, during);

    /// <summary>Ramps the copies linearly to <paramref name="copies"/> over <paramref name="during"/>.</summary>
    public static LoadSimulation RampingConstant(int copies, TimeSpan during) =>
        new(LoadSimulationKind.RampingConstant, copies, 0, TimeSpan.Zero, during);

    /// <summary>Starts <paramref name="rate"/> requests every <paramref name="interval"/> for <paramref name="during"/>.</summary>
    public static LoadSimulation Inject(int rate, TimeSpan interval, TimeSpan during) =>
        new(LoadSimulationKind.Inject, 0, rate, CheckInterval(interval), during);

    /// <summary>Ramps the injection rate linearly to <paramref name="rate"/> per <paramref name="interval"/>.</summary>
    public static LoadSimulation RampingInject(int rate, TimeSpan interval, TimeSpan during) =>
        new(LoadSimulationKind.RampingInject, 0, rate, CheckInterval(interval), during);

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        LoadSimulationKind.KeepConstant or LoadSimulationKind.RampingConstant =>
            string.Create(CultureInfo.InvariantCulture, $"{Kind}(copies: {Copies}, during: {DurationFormat.Format(During)})"),
        _ => string.Create(
            CultureInfo.InvariantCulture,
            $"{Kind}(rate: {Rate}, interval: {DurationFormat.Format(Interval)}, during: {DurationFormat.Format(During)})"),
    };

    private static TimeSpan CheckInterval(TimeSpan interval) =>
        interval > TimeSpan.Zero
            ? interval
            : throw new ArgumentOutOfRangeException(nameof(interval), interval, "interval must be positive");
}
