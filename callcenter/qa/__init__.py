"""Quality assurance: scorecard files and their validator, scoring, calibration,
sampling rules and retention decisions (all pure), plus where recordings live."""
