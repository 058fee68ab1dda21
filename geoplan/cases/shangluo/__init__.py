"""
The Shangluo example (商洛市易地搬迁安置点公益性公墓).

The relocation sites and their cemeteries: tables, checks, report and the
analysis-file job.
"""
