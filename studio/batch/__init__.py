"""The render queue: many jobs on every core of this machine, or on a Ray cluster.

    rows = read_job_file(path)                  # jobs.json or jobs.csv, checked as a whole
    jobs = [Job(...) for each row]              # the command line makes a Project per row
    results = run_local(jobs, display)          # processes over the cores (studio.batch.local)
    results = run_on_ray(jobs, display, "auto") # one task per job or per chunk (ray_farm)

A job whose output exists is skipped (outputs appear only once complete, so an existing one is
finished); a failed job is reported with a one-line reason and the others go on. Ray is
imported only by studio.batch.ray_farm, ray_tasks and ray_progress, when a batch asks for it.
"""
