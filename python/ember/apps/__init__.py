"""What the `ember` command runs: training jobs, evaluation, pictures of a run."""
