"""Several web nodes on one database: a publication record they follow, and who serves what.

Import the parts (`service`, `follower`) where they are used: they load the publisher.
"""
